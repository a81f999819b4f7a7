// Per-day grouped bars (sent, unique opens, unique clicks) as inline SVG, with a text alternative.
const SVG = "http://www.w3.org/2000/svg";
export const SERIES = [["Sent", "#4c78a8", "Sent"], ["UniqueOpens", "#d9730d", "Unique opens"], ["UniqueClicks", "#2f8a3b", "Unique clicks"]];
const WIDTH = 900, HEIGHT = 320, LEFT = 48, RIGHT = 12, TOP = 16, BOTTOM = 46;

function node(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function niceCeiling(value) {
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

export function dailyChart(days, title) {
  const svg = node("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": title, "data-testid": "insights-chart" });
  svg.append(node("title", {}, title));
  const plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
  const peak = niceCeiling(Math.max(1, ...days.flatMap((d) => SERIES.map(([key]) => d[key] || 0))));
  // Whole-number gridlines: 1, 2, 5, 10, 20... split into as many equal steps as divide them.
  const divisions = [5, 4, 2, 1].find((n) => peak % n === 0);
  for (let i = 0; i <= divisions; i += 1) {
    const y = TOP + plotH - (plotH * i) / divisions;
    svg.append(node("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: y, y2: y, stroke: "#e1e5ea" }));
    svg.append(node("text", { x: LEFT - 6, y: y + 4, "text-anchor": "end", "font-size": 11, fill: "#5a6472" }, (peak * i) / divisions));
  }
  const slot = plotW / Math.max(days.length, 1);
  const bar = Math.max((slot * 0.8) / SERIES.length, 1);
  const labelEvery = Math.ceil(days.length / 10);
  days.forEach((day, index) => {
    const x0 = LEFT + index * slot + slot * 0.1;
    SERIES.forEach(([key, colour, label], s) => {
      const value = day[key] || 0;
      const height = (plotH * value) / peak;
      const rect = node("rect", { x: x0 + s * bar, y: TOP + plotH - height, width: Math.max(bar - 1, 1), height, fill: colour, "data-series": key, "data-value": value });
      rect.append(node("title", {}, `${day.Day} ${label}: ${value}`));
      svg.append(rect);
    });
    if (index % labelEvery === 0) svg.append(node("text", { x: x0 + (bar * SERIES.length) / 2, y: HEIGHT - BOTTOM + 16, "text-anchor": "middle", "font-size": 11, fill: "#5a6472" }, day.Day.slice(5)));
  });
  svg.append(node("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: TOP + plotH, y2: TOP + plotH, stroke: "#8a94a3" }));
  return svg;
}
