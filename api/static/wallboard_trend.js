// The trend chart: today's conversations per hour against the same hours a week earlier, as inline
// SVG built here (no library, nothing fetched: the page's CSP allows no other script or style).
class TrendChart {
  static MARGIN = { top: 14, right: 8, bottom: 26, left: 40 };

  constructor(svg, summary) {
    this.svg = svg;
    this.summary = summary;
    this.drawn = null;  // the last [hours, previous], redrawn when the panel changes size
    // Drawn in the element's own pixels, so it fills the panel and its text stays the page's size.
    new ResizeObserver(() => this.drawn && this.draw(...this.drawn)).observe(svg);
  }

  // `today`: the report for today (whole day, group_by=hour); `weekAgo`: the same for the day 7 days before.
  render(today, weekAgo, date, zone) {
    const asOf = Date.parse(today.as_of);
    const hours = today.series.map((period) => ({
      label: BoardTime.wallTime(period.start),
      // Hours that have not begun are not zero, they are not yet: no bar for them.
      count: Date.parse(period.start) <= asOf ? period.total_conversations : null,
      current: Date.parse(period.start) <= asOf && asOf < Date.parse(period.end),
    }));
    // Matched by wall time, so a day of 23 or 25 hours still lines up with a normal one.
    const before = new Map();
    for (const period of weekAgo.series) {
      const label = BoardTime.wallTime(period.start);
      before.set(label, (before.get(label) || 0) + period.total_conversations);
    }
    const previous = hours.map((hour) => before.get(hour.label) || 0);
    this.draw(hours, previous);

    const sum = (values) => values.reduce((total, value) => total + (value || 0), 0);
    const soFar = hours.map((hour, i) => (hour.count === null ? 0 : previous[i]));
    this.svg.dataset.date = date;
    this.svg.dataset.timezone = zone;
    this.svg.dataset.today = JSON.stringify(hours.map((hour) => hour.count));
    this.svg.dataset.weekAgo = JSON.stringify(previous);
    const fmt = BoardFormat.integer;
    this.summary.textContent =
      `Today ${fmt.format(sum(hours.map((hour) => hour.count)))} so far · ` +
      `a week ago ${fmt.format(sum(soFar))} by this hour, ${fmt.format(sum(previous))} all day`;
    this.svg.setAttribute("aria-label", `Conversations per hour in ${zone}. ${this.summary.textContent}`);
  }

  draw(hours, previous) {
    this.drawn = [hours, previous];
    const { MARGIN } = TrendChart;
    const box = this.svg.getBoundingClientRect();
    const WIDTH = Math.max(200, Math.round(box.width));
    const HEIGHT = Math.max(80, Math.round(box.height));
    this.svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
    const plotW = WIDTH - MARGIN.left - MARGIN.right;
    const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
    const top = TrendChart.niceCeiling(Math.max(1, ...previous, ...hours.map((hour) => hour.count || 0)));
    const slot = plotW / Math.max(1, hours.length);
    const x = (i) => MARGIN.left + slot * i;
    const y = (value) => MARGIN.top + plotH * (1 - value / top);
    const parts = [];

    for (const value of [0, top / 2, top].filter(Number.isInteger)) {  // counts: whole gridlines only
      parts.push(this.node("line", { class: "grid", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value) }));
      parts.push(this.node("text", { class: "axis", x: MARGIN.left - 6, y: y(value) + 4, "text-anchor": "end" }, TrendChart.short(value)));
    }
    hours.forEach((hour, i) => {
      if (i % 3 === 0) {
        parts.push(this.node("text", { class: "axis", x: x(i) + slot / 2, y: HEIGHT - 6, "text-anchor": "middle" }, hour.label.slice(0, 2)));
      }
      if (hour.count === null) return;
      const height = Math.max(hour.count > 0 ? 2 : 0, plotH * (hour.count / top));
      const bar = this.node("rect", {
        class: hour.current ? "today current" : "today", x: x(i) + slot * 0.15, width: slot * 0.7,
        y: MARGIN.top + plotH - height, height, rx: 3,
      });
      bar.append(this.node("title", {}, `${hour.label} today: ${hour.count}, a week ago: ${previous[i]}`));
      parts.push(bar);
    });
    const points = previous.map((value, i) => `${x(i) + slot / 2},${y(value)}`).join(" ");
    parts.push(this.node("polyline", { class: "week-ago", points }));
    previous.forEach((value, i) => parts.push(this.node("circle", { class: "week-ago-point", cx: x(i) + slot / 2, cy: y(value), r: 3 })));
    this.svg.replaceChildren(...parts);
  }

  node(name, attributes, text) {
    const element = document.createElementNS(this.svg.namespaceURI, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  // The smallest 1, 2 or 5 × 10^k at or above `value`: round gridlines whatever the volume.
  static niceCeiling(value) {
    const magnitude = 10 ** Math.floor(Math.log10(value));
    return [1, 2, 5, 10].map((step) => step * magnitude).find((candidate) => candidate >= value);
  }

  static short(value) {
    return value >= 1000 ? `${+(value / 1000).toFixed(1)}k` : String(+value.toFixed(1));
  }
}
