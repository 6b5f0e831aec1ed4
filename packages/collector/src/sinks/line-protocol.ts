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

/** Splits on `sep` outside backslash escapes (and outside double quotes, for string field values). */
function splitEscaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + (s[i + 1] as string);
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      cur += c;
    } else if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const unescapeLp = (s: string) => s.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');

/**
 * Parses line protocol with millisecond timestamps (as `toLineProtocol` writes it) back into points. Numeric
 * fields only (Vigie writes no other); throws naming the line for anything else.
 */
export function parseLineProtocol(text: string): MetricPoint[] {
  const points: MetricPoint[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = splitEscaped(line, ' ');
    const [key, fieldText, timeText] = parts;
    if (parts.length !== 3 || !key || !fieldText || !timeText || !/^-?\d+$/.test(timeText))
      throw new Error(
        `line ${index + 1}: expected "measurement,tags fields time", got ${line.slice(0, 120)}`,
      );
    const [measurement, ...tagParts] = splitEscaped(key, ',');
    const tags: Record<string, string> = {};
    for (const t of tagParts) {
      const [k, v] = splitEscaped(t, '=');
      if (k === undefined || v === undefined) throw new Error(`line ${index + 1}: bad tag ${t}`);
      tags[unescapeLp(k)] = unescapeLp(v);
    }
    const fields: Record<string, number> = {};
    for (const f of splitEscaped(fieldText, ',')) {
      const [k, v] = splitEscaped(f, '=');
      const value = Number((v ?? '').replace(/i$/, ''));
      if (k === undefined || v === undefined || !Number.isFinite(value))
        throw new Error(`line ${index + 1}: field ${f} is not numeric`);
      fields[unescapeLp(k)] = value;
    }
    points.push({ measurement: unescapeLp(measurement as string), tags, fields, time: Number(timeText) });
  });
  return points;
}
