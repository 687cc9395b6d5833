// The panels beside the live tiles — trend chart, tile deltas, team — refreshed from the report and
// agents endpoints whenever the stream says the figures changed, at most once per MIN_GAP_MS.
//
// Every board of an account asks the same questions (per time zone), which the server computes
// once for all of them; so a board asks one report at a time (the server caps the reports an
// account has being computed at once, and answers 429 beyond it), and after a 429 it asks again
// once the answer's Retry-After has passed.
class BoardExtras {
  static MIN_GAP_MS = 2000;
  static QUARTER_HOUR_MS = 9e5;
  // A live ↔ away swap, or the clock passing midnight, changes no overview figure and so sends no
  // stream event: a slow poll catches those.
  static POLL_MS = 10000;
  static DAY_MS = 864e5;

  constructor(board, token) {
    this.data = new BoardData(token);
    this.chart = new TrendChart(board.querySelector("#trend"), board.querySelector("#trend-summary"));
    this.deltas = new TileDeltas(board);
    this.team = new TeamPanel(board.querySelector("#team"));
    this.notice = board.querySelector("#trend-notice");
    this.zoneSelect = board.querySelector("#timezone");
    this.timers = [];
    this.pending = null;
    this.running = false;
    this.again = false;
    this.last = 0;
    this.generation = 0;  // answers to requests from before a stop() or a zone change are dropped
    this.fillZones();
  }

  fillZones() {
    const current = BoardTime.zone();
    this.zoneSelect.replaceChildren(...BoardTime.zones().map((zone) => new Option(zone, zone, false, zone === current)));
    this.zoneSelect.addEventListener("change", () => {
      BoardTime.remember(this.zoneSelect.value);
      this.generation += 1;
      this.request(true);
    });
  }

  start() {
    if (this.timers.length) return;
    this.timers = [setInterval(() => this.request(), BoardExtras.POLL_MS), setInterval(() => this.team.tick(), 1000)];
    this.request(true);
  }

  stop() {
    this.timers.forEach(clearInterval);
    this.timers = [];
    clearTimeout(this.pending);
    this.pending = null;
    this.generation += 1;
  }

  // Ask for a refresh; bursts of changes coalesce into one every MIN_GAP_MS (`now`: the user asked).
  request(now = false) {
    if (this.running) { this.again = true; return; }
    if (this.pending !== null && !now) return;
    clearTimeout(this.pending);
    const wait = now ? 0 : Math.max(0, this.last + BoardExtras.MIN_GAP_MS - Date.now());
    this.pending = setTimeout(() => { this.pending = null; this.run(); }, wait);
  }

  async run() {
    this.running = true;
    this.last = Date.now();
    try {
      await this.refresh(this.generation);
    } finally {
      this.running = false;
      if (this.again) { this.again = false; this.request(); }
    }
  }

  async refresh(generation) {
    const zone = BoardTime.zone();
    const date = BoardTime.dateIn(zone, new Date());
    const weekAgo = BoardTime.addDays(date, -7);
    // On a quarter hour: the same question from every board for 15 minutes, and exact (SPEC §4);
    // the 30 days are up to 15 minutes longer, within the tiles' own edge (SPEC §3: one bucket).
    const quarter = BoardExtras.QUARTER_HOUR_MS;
    const since30 = new Date(Math.floor((Date.now() - 30 * BoardExtras.DAY_MS) / quarter) * quarter).toISOString();
    const settled = (promise) => promise.then((value) => ({ status: "fulfilled", value }), (reason) => ({ status: "rejected", reason }));
    const onDutyAsked = settled(this.data.agents());
    // Until tomorrow: the series then spans the whole day, so the axis shows hours still to come.
    const today = await settled(this.data.report({ since: date, until: BoardTime.addDays(date, 1), timezone: zone, group_by: "hour", breakdown: "agent" }));
    const before = await settled(this.data.report({ since: weekAgo, until: BoardTime.addDays(weekAgo, 1), timezone: zone, group_by: "hour" }));
    const month = await settled(this.data.report({ since: since30, compare: "previous" }));
    const onDuty = await onDutyAsked;
    if (generation !== this.generation) return;
    const asked = [today, before, month, onDuty];
    const failed = asked.filter((answer) => answer.status === "rejected").map((answer) => answer.reason);
    this.retryRefused(failed);
    if (today.status === "fulfilled" && before.status === "fulfilled") this.chart.render(today.value, before.value, date, zone);
    if (month.status === "fulfilled") this.deltas.render(month.value);
    else if (month.reason.parameter === "compare") this.deltas.clear();  // retention too short for 60 days
    if (today.status === "fulfilled" && onDuty.status === "fulfilled") this.team.render(onDuty.value, today.value);
    this.showProblem(failed, zone);
  }

  // The server had too many reports of this account under way: ask again once it says to.
  retryRefused(failed) {
    const refused = failed.filter((error) => error.status === 429);
    if (!refused.length) return;
    const wait = Math.max(...refused.map((error) => error.retryAfter ?? 1));
    const generation = this.generation;
    setTimeout(() => { if (generation === this.generation) this.request(); }, wait * 1000);
  }

  // What went wrong, in the panel; 401 and 503 are already told by the stream's status line, and a
  // 429 is asked again (the panel stays as it was meanwhile).
  showProblem(failed, zone) {
    const zoneFault = failed.find((error) => error.parameter === "timezone");
    const told = [401, 429, 503];
    const other = failed.find((error) => !told.includes(error.status) && error.parameter !== "compare");
    this.notice.textContent = zoneFault ? `The server does not know the time zone ${zone}; pick another.`
      : other ? `Could not refresh: ${other.message}` : "";
    document.body.dataset.panels = failed.length ? "stale" : "fresh";
  }
}
