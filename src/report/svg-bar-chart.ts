/**
 * An accessible horizontal bar chart as inline SVG (WAI-ARIA graphics: role="img" named by its
 * <title> and described by its <desc>; the data table is printed beside it by the caller). A bar
 * without a value (withheld or not published) is not drawn: its line says why in words.
 */
import type { ReportChart } from './annual-content.js';
import { escapeHtml } from './html-document.js';


const WIDTH = 720;
const LABEL_WIDTH = 250;
const VALUE_WIDTH = 150;
const BAR_HEIGHT = 18;
const GAP = 8;
const TOP = 8;

export function barChartSvg(chart: ReportChart): string {
  const drawn = chart.bars.map((bar) => bar.value ?? 0);
  const max = Math.max(1, ...drawn);
  const plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const height = TOP * 2 + chart.bars.length * (BAR_HEIGHT + GAP);
  const titleId = `${chart.id}-titre`;
  const descId = `${chart.id}-desc`;
  const lines = chart.bars.map((bar, index) => {
    const y = TOP + index * (BAR_HEIGHT + GAP);
    const middle = y + BAR_HEIGHT / 2 + 4;
    const label = `<text x="${LABEL_WIDTH - 8}" y="${middle}" text-anchor="end">${escapeHtml(bar.label)}</text>`;
    if (bar.value === null) return `<g class="withheld">${label}<text x="${LABEL_WIDTH}" y="${middle}" font-style="italic">${escapeHtml(bar.text)}</text></g>`;
    const width = Math.round((bar.value / max) * plot);
    return `<g>${label}<rect x="${LABEL_WIDTH}" y="${y}" width="${width}" height="${BAR_HEIGHT}" data-value="${bar.value}"></rect><text x="${LABEL_WIDTH + width + 6}" y="${middle}">${escapeHtml(bar.text)}</text></g>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="${titleId} ${descId}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" class="chart">`,
    `<title id="${titleId}">${escapeHtml(chart.title)}</title>`,
    `<desc id="${descId}">${escapeHtml(chart.desc)}</desc>`,
    ...lines,
    '</svg>',
  ].join('\n');
}
