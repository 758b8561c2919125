/**
 * Horizontal bar charts drawn as SVG with text nodes only (no innerHTML, no inline style: the
 * Content-Security-Policy's style-src 'self' holds; colours come from the page's stylesheet).
 *
 * A value the publication withholds (null) has no bar at all, and its row says why in words: a bar of
 * any length, even zero, would read as a number, and a blank would read as zero. The chart is an
 * image for assistive technologies (role="img" with its title); the figures are in the data table
 * that always follows it (RGAA 1.3 and 4.1: a text equivalent next to the image).
 *
 * Not @gouvfr/dsfr-chart 2.0.4, though its web components load under the console's CSP (tried in
 * Chromium: no violation; the bundle carries Vue's development build): a null value is an empty slot
 * on its Chart.js canvas, which reads as zero and cannot be marked, and the canvas has no text.
 */
const SVG = 'http://www.w3.org/2000/svg';

export interface Bar {
  /** Category as shown. */
  label: string;
  /** Published value; null when withheld. */
  value: number | null;
  /** What the row shows after the bar: the value as formatted for people, or why there is none. */
  text: string;
}

export interface BarChartOptions {
  id: string;
  title: string;
  bars: Bar[];
  /** Sentence read by assistive technologies instead of the drawing. */
  alternative: string;
}

const WIDTH = 800;
const LABEL_WIDTH = 230;
const TEXT_WIDTH = 190;
const ROW = 30;
const BAR = 18;
const TOP = 8;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, ...children: Array<Node | string>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  return element;
}

export function barChart(options: BarChartOptions): SVGSVGElement {
  const { bars } = options;
  const height = TOP * 2 + Math.max(1, bars.length) * ROW;
  const largest = Math.max(0, ...bars.map((bar) => bar.value ?? 0));
  const span = WIDTH - LABEL_WIDTH - TEXT_WIDTH;
  const titleId = `${options.id}-titre`;
  const chart = svg('svg', { xmlns: SVG, viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-labelledby': titleId, class: 'stats-chart', id: options.id, focusable: 'false' }, svg('title', { id: titleId }, options.alternative));
  bars.forEach((bar, index) => {
    const y = TOP + index * ROW;
    const middle = y + ROW / 2;
    const row = svg('g', { class: 'stats-chart__row', 'data-label': bar.label });
    row.appendChild(svg('text', { x: LABEL_WIDTH - 10, y: middle, 'text-anchor': 'end', 'dominant-baseline': 'central', class: 'stats-chart__label' }, bar.label));
    if (bar.value === null) {
      row.setAttribute('data-suppressed', 'true');
      row.appendChild(svg('text', { x: LABEL_WIDTH + 8, y: middle, 'dominant-baseline': 'central', class: 'stats-chart__withheld' }, bar.text));
    } else {
      const length = largest === 0 ? 0 : (bar.value / largest) * span;
      row.setAttribute('data-value', String(bar.value));
      row.appendChild(svg('rect', { x: LABEL_WIDTH, y: middle - BAR / 2, width: length.toFixed(2), height: BAR, class: 'stats-chart__bar' }));
      row.appendChild(svg('text', { x: LABEL_WIDTH + length + 8, y: middle, 'dominant-baseline': 'central', class: 'stats-chart__value' }, bar.text));
    }
    chart.appendChild(row);
  });
  chart.appendChild(svg('line', { x1: LABEL_WIDTH, x2: LABEL_WIDTH, y1: TOP / 2, y2: height - TOP / 2, class: 'stats-chart__axis' }));
  return chart;
}
