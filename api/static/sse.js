"use strict";
// Server-Sent Events parsing (WHATWG HTML 9.2.6) for a fetch() body: EventSource cannot send an
// Authorization header, so the page reads the stream itself.
class SseParser {
  constructor() {
    this.buffer = "";
  }

  // Feed decoded text; returns the events completed by it, as {event, data, id, retry}.
  push(text) {
    this.buffer += text;
    const events = [];
    for (;;) {
      const match = /\r\n\r\n|\n\n|\r\r/.exec(this.buffer);
      if (match === null) return events;  // an incomplete event waits for more text
      const block = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const parsed = SseParser.parseBlock(block);
      if (parsed !== null) events.push(parsed);
    }
  }

  static parseBlock(block) {
    const event = { event: "message", data: [], id: null, retry: null };
    for (const line of block.split(/\r\n|\r|\n/)) {
      if (line === "" || line.startsWith(":")) continue;  // comments are heartbeats
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event.event = value;
      else if (field === "data") event.data.push(value);
      else if (field === "id") event.id = value;
      else if (field === "retry" && /^\d+$/.test(value)) event.retry = Number(value);
    }
    if (event.data.length === 0 && event.retry === null) return null;
    return { ...event, data: event.data.join("\n") };
  }
}
