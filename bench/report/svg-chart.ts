// Hand-written SVG: grouped bar charts (one bar per peer in each group), stacked vertically in
// one file per scenario, so results can be looked at without any tool.

export interface BarChart {
  title: string;
  /** The y axis' unit, e.g. "MB/s" or "ms". */
  unit: string;
  /** One group of bars per label along the x axis. */
  groups: string[];
  /** One series per peer: a value for each group, or undefined where it was not measured. */
  series: { name: string; values: (number | undefined)[] }[];
}

const WIDTH = 960;
const CHART_HEIGHT = 340;
const MARGIN = { top: 40, right: 20, bottom: 60, left: 70 };
const COLORS = ['#4e79a7', '#e15759', '#59a14f', '#f28e2b', '#76b7b2', '#b07aa1', '#9c755f'];

export function chartsSvg(title: string, charts: BarChart[]): string {
  const height = 40 + charts.length * CHART_HEIGHT;
  const body = charts.map((chart, i) => `<g transform="translate(0 ${40 + i * CHART_HEIGHT})">${barChart(chart)}</g>`).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escape(title)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

function barChart(chart: BarChart): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = CHART_HEIGHT - MARGIN.top - MARGIN.bottom;
  const values = chart.series.flatMap((s) => s.values).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const top = niceCeiling(Math.max(0, ...values));
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const parts: string[] = [];
  parts.push(`<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${escape(chart.title)}</text>`);

  for (let i = 0; i <= 5; i++) {
    const value = (top * i) / 5;
    const at = y(value);
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${at}" y2="${at}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${at + 4}" text-anchor="end">${escape(tickLabel(value))}</text>`);
  }
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escape(chart.unit)}</text>`);

  const groupWidth = plotWidth / Math.max(1, chart.groups.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, chart.series.length);
  chart.groups.forEach((group, g) => {
    const groupLeft = MARGIN.left + g * groupWidth + groupWidth * 0.1;
    chart.series.forEach((series, s) => {
      const value = series.values[g];
      if (value === undefined || !Number.isFinite(value)) return;
      const x = groupLeft + s * barWidth;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(MARGIN.top + plotHeight - y(value)).toFixed(1)}" fill="${COLORS[s % COLORS.length]}">` +
          `<title>${escape(`${series.name}, ${group}: ${tickLabel(value)} ${chart.unit}`)}</title></rect>`,
      );
    });
    parts.push(`<text x="${(groupLeft + groupWidth * 0.4).toFixed(1)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${escape(group)}</text>`);
  });

  chart.series.forEach((series, s) => {
    const x = MARGIN.left + s * 150;
    const legendY = CHART_HEIGHT - 18;
    parts.push(`<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[s % COLORS.length]}"/>`);
    parts.push(`<text x="${x + 16}" y="${legendY}">${escape(series.name)}</text>`);
  });
  return parts.join('\n');
}

/** The smallest 1, 2 or 5 × 10^n at or above `value`. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function tickLabel(value: number): string {
  if (value === 0) return '0';
  if (value >= 100) return value.toFixed(0);
  return Number(value.toPrecision(3)).toString();
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
