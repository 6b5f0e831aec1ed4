// InfluxDB line protocol encoding (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/).
import type { MetricPoint } from './types.js';

const escapeMeasurement = (s: string) => s.replace(/[,\s\\]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
const escapeKey = (s: string) => s.replace(/[,=\s\\]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

function formatNumber(v: number): string {
  // Floats everywhere: a field's type is fixed by its first write, and integers would clash with fractions.
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** One line per point, timestamps in milliseconds (write with precision=ms). Empty values are skipped. */
export function toLineProtocol(points: readonly MetricPoint[]): string {
  const lines: string[] = [];
  for (const p of points) {
    const fields = Object.entries(p.fields)
      .filter(([, v]) => Number.isFinite(v))
      .map(([k, v]) => `${escapeKey(k)}=${formatNumber(v)}`);
    if (fields.length === 0) continue;
    const tags = Object.entries(p.tags)
      .filter(([, v]) => v !== '')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `,${escapeKey(k)}=${escapeKey(v)}`)
      .join('');
    lines.push(`${escapeMeasurement(p.measurement)}${tags} ${fields.join(',')} ${Math.round(p.time)}`);
  }
  return lines.join('\n');
}
