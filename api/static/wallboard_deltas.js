// Each tile's change against the previous 30 days, from one report with compare=previous.
class TileDeltas {
  // For each tile figure a report's totals also hold: how to compare it, which way is better, and
  // the count it is taken over — a figure over nothing (0 %, 0 s) is no figure to compare with.
  static FIGURES = {
    total_conversations: { kind: "relative", better: 0, over: "total_conversations" },
    resolution_rate: { kind: "points", better: 1, over: "total_conversations" },
    avg_first_response: { kind: "relative", better: -1, over: "first_responses" },
    median_handle_time: { kind: "relative", better: -1, over: "resolved" },
    avg_handle_time: { kind: "relative", better: -1, over: "resolved" },
    customer_happiness: { kind: "points", better: 1, over: "ratings" },
  };

  constructor(board) {
    this.board = board;
  }

  // `report`: the last 30 days with compare=previous.
  render(report) {
    for (const [name, how] of Object.entries(TileDeltas.FIGURES)) {
      const now = report.totals[name];
      const before = report.previous.totals[name];
      const element = this.board.querySelector(`[data-delta="${name}"]`);
      const comparable = report.totals[how.over] > 0 && report.previous.totals[how.over] > 0;
      const change = comparable ? TileDeltas.change(now, before, how.kind) : null;
      element.dataset.value = JSON.stringify({ now, before, change });
      element.dataset.direction = change === null ? "none" : Math.sign(change) > 0 ? "up" : Math.sign(change) < 0 ? "down" : "flat";
      element.dataset.verdict = change === null || change === 0 || how.better === 0 ? "neutral"
        : Math.sign(change) === how.better ? "good" : "bad";
      element.textContent = TileDeltas.text(change, how.kind);
      element.title = comparable ? `the 30 days before: ${before}` : "nothing to compare with in one of the two periods";
    }
  }

  // Rates are compared in percentage points (91.3 % → 93.1 % is +1.8 pts, not +2 %); the rest relatively.
  static change(now, before, kind) {
    if (kind === "points") return Math.round((now - before) * 10) / 10;
    if (before === 0) return null;  // e.g. a first response time of 0 s: no ratio to it
    return Math.round(((now - before) / before) * 100);
  }

  static text(change, kind) {
    if (change === null) return "– vs prior 30 d";
    const arrow = change > 0 ? "▲" : change < 0 ? "▼" : "=";
    const size = kind === "points" ? `${Math.abs(change).toFixed(1)} pts` : `${Math.abs(change)} %`;
    return `${arrow} ${size} vs prior 30 d`;
  }

  clear() {
    for (const element of this.board.querySelectorAll("[data-delta]")) {
      element.textContent = "";
      delete element.dataset.value;
    }
  }
}
