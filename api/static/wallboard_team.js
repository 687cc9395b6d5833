// The team panel: every agent live or away now, how long they have been so, and how their day went.
class TeamPanel {
  constructor(list) {
    this.list = list;
    this.rows = [];
    this.offsetMs = 0;  // server time − this browser's clock, so durations do not depend on the latter
  }

  // `onDuty`: GET /api/v1/analytics/agents; `today`: today's report with breakdown=agent.
  render(onDuty, today) {
    const days = new Map(today.breakdown.map((row) => [row.agent_id, row]));
    this.offsetMs = Date.parse(onDuty.as_of) - Date.now();
    this.rows = onDuty.agents.map((agent) => {
      const day = days.get(agent.agent_id);
      return {
        ...agent,
        resolved: day ? day.resolved : 0,
        median_handle_time: day ? day.median_handle_time : 0,
      };
    });
    // Who carries the load first: most resolutions today, then live before away, then by name.
    this.rows.sort((a, b) =>
      b.resolved - a.resolved || (a.status === "live" ? 0 : 1) - (b.status === "live" ? 0 : 1) ||
      TeamPanel.compare(a.name, b.name) || TeamPanel.compare(a.agent_id, b.agent_id));
    this.list.dataset.value = JSON.stringify(this.rows);
    this.list.replaceChildren(...this.rows.map((row) => this.item(row)));
    if (this.rows.length === 0) this.list.replaceChildren(BoardFormat.emptyNote("Nobody is live or away"));
    this.tick();
  }

  item(row) {
    const item = document.createElement("li");
    item.dataset.agentId = row.agent_id;
    item.dataset.status = row.status;
    const cell = (cls, content) => {
      const span = document.createElement("span");
      span.className = cls;
      if (typeof content === "string") span.textContent = content;  // names come from events: text only
      else span.append(content);
      item.append(span);
      return span;
    };
    cell("dot", "");
    cell("name", row.name);
    const state = cell("state", row.status);
    const held = document.createElement("time");
    held.dateTime = row.since;
    held.dataset.since = String(Date.parse(row.since));
    state.append(" ", held);
    cell("count", BoardFormat.integer.format(row.resolved)).title = "resolved today";
    const median = row.resolved ? BoardFormat.partsElement(BoardFormat.duration(row.median_handle_time)) : "–";
    cell("median", median).title = "median handle time today";
    return item;
  }

  // How long each has been in their status, kept current between refreshes.
  tick() {
    const now = Date.now() + this.offsetMs;
    for (const held of this.list.querySelectorAll("time[data-since]")) {
      // A status change a little ahead of the server's clock (SPEC §2 accepts those) has lasted 0 s.
      const seconds = Math.max(0, Math.floor((now - Number(held.dataset.since)) / 1000));
      held.replaceChildren("for ", BoardFormat.partsElement(BoardFormat.duration(seconds)));
    }
  }

  // Code-point order, as the API sorts names (SPEC §2), not the locale's.
  static compare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
}
