// Plain-text tables for benchmark reports: numbers right-aligned, missing values as "-".

/** Formats a number for a table: thousands separated, at most `digits` decimals. */
export function fmt(/** @type {number | undefined | null} */ v, digits = 1) {
  if (v === undefined || v === null || !Number.isFinite(v)) return '-';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/**
 * Renders rows under headers.
 * @param {string[]} headers
 * @param {Array<Array<string | number | undefined>>} rows
 */
export function table(headers, rows) {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : (c ?? '-'))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (/** @type {string[]} */ r, /** @type {boolean} */ header) =>
    r
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return i === 0 || header ? c.padEnd(w) : c.padStart(w);
      })
      .join('  ')
      .trimEnd();
  return [
    line(headers, true),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((r) => line(r, false)),
  ].join('\n');
}
