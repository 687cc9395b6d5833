// Formatting shared by the tiles and the panels: figures as [number, unit] parts, units drawn smaller.
const BoardFormat = {
  integer: new Intl.NumberFormat("en-US"),

  pad: (n) => String(n).padStart(2, "0"),

  duration(seconds) {
    const pad = BoardFormat.pad;
    if (seconds < 60) return [[seconds, "s"]];
    if (seconds < 3600) return [[Math.floor(seconds / 60), "m"], [pad(seconds % 60), "s"]];
    return [[Math.floor(seconds / 3600), "h"], [pad(Math.floor(seconds / 60) % 60), "m"]];
  },

  // The parts as one element: "1h 05m" with the units in <small>.
  partsElement(parts, tag = "span") {
    const line = document.createElement(tag);
    parts.forEach(([number, unit], i) => {
      if (i > 0) line.append(" ");
      line.append(`${number}`);
      if (unit) {
        const small = document.createElement("small");
        small.textContent = unit;
        line.append(small);
      }
    });
    return line;
  },

  emptyNote(text) {
    const note = document.createElement("li");
    note.className = "empty";
    note.textContent = text;
    return note;
  },
};

// Calendar days and hours as the team reads them, in an IANA zone the page lets one pick.
const BoardTime = {
  ZONE_KEY: "pingback.wallboard.timezone",

  browserZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",

  // The zone picked on this board before, else the browser's own.
  zone: () => localStorage.getItem(BoardTime.ZONE_KEY) || BoardTime.browserZone(),

  remember(zone) {
    localStorage.setItem(BoardTime.ZONE_KEY, zone);
  },

  zones() {
    const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    return [...new Set(["UTC", BoardTime.browserZone(), BoardTime.zone(), ...known])].sort();
  },

  // YYYY-MM-DD of `instant` in `zone`.
  dateIn(zone, instant) {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(instant);
    const part = (type) => parts.find((p) => p.type === type).value;
    return `${part("year")}-${part("month")}-${part("day")}`;
  },

  // The calendar date `days` after `date` (YYYY-MM-DD): calendar arithmetic, so no zone is involved.
  addDays(date, days) {
    const [year, month, day] = date.split("-").map(Number);
    return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
  },

  // "HH:MM" of a timestamp the server wrote in the zone's own offset (SPEC §4), i.e. local wall time.
  wallTime: (timestamp) => timestamp.slice(11, 16),
};
