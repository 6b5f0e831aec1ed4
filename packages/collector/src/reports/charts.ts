// Small inline SVG charts for the report (no script, no external file: the page prints as it shows).
const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface Bar {
  label: string;
  /** One value per series; null draws nothing. */
  values: Array<number | null>;
}

const COLORS = ['#2f6db5', '#d9822b', '#3a9b5c', '#b53a3a'];

/**
 * Horizontal grouped bars, one row per bar, scaled to `max` (100 for percentages). Values are drawn, not
 * written: the tables next to the charts carry the figures.
 */
export function barChart(bars: Bar[], opts: { max?: number; series: string[]; title: string }): string {
  const rowH = 14 * opts.series.length + 8;
  const labelW = 150;
  const width = 520;
  const plotW = width - labelW - 10;
  const max = opts.max ?? Math.max(1, ...bars.flatMap((b) => b.values.map((v) => v ?? 0)));
  const height = bars.length * rowH + 28;
  const rows = bars
    .map((b, i) => {
      const y = 8 + i * rowH;
      const rects = b.values
        .map((v, s) => {
          if (v === null) return '';
          const w = Math.max(0, Math.min(plotW, (v / max) * plotW));
          return `<rect x="${labelW}" y="${y + s * 14}" width="${w.toFixed(1)}" height="12" fill="${COLORS[s % COLORS.length]}"/>`;
        })
        .join('');
      return `<text x="${labelW - 6}" y="${y + 10}" text-anchor="end" font-size="10">${esc(b.label)}</text>${rects}`;
    })
    .join('');
  const legend = opts.series
    .map(
      (s, i) =>
        `<rect x="${labelW + i * 130}" y="${height - 14}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${labelW + i * 130 + 14}" y="${height - 5}" font-size="10">${esc(s)}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(opts.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><line x1="${labelW}" y1="4" x2="${labelW}" y2="${height - 20}" stroke="#999"/>${rows}${legend}</svg>`;
}
