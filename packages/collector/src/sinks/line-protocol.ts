// InfluxDB line protocol encoding (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/).
// Only lines that InfluxDB 1.x and VictoriaMetrics read back exactly are produced: a point that could not be
// written so is refused here, with the reason, before it reaches a store (see line-protocol.int.test.ts).
import type { MetricPoint, RefusedPoint } from './types.js';

export type Encoded = { ok: true; line: string } | { ok: false; reason: string };

/** InfluxDB's time range is ±(2^63 - 2) ns; points are written in milliseconds. */
export const TIME_RANGE_MS = { min: -9_223_372_036_854, max: 9_223_372_036_854 } as const;
/** InfluxDB refuses a series key (measurement and tags) over 64 KiB. */
const MAX_SERIES_KEY_BYTES = 65_535;
/**
 * InfluxDB 1.x refuses `time` as a tag or field key; 2.x also reserves `_field` and `_measurement` as tag keys;
 * VictoriaMetrics takes a tag `__name__` for the metric name.
 */
const RESERVED_TAG_KEYS = new Set(['time', '_field', '_measurement', '__name__']);
const RESERVED_FIELD_KEYS = new Set(['time']);

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why `text` cannot be carried exactly, or undefined. Control characters cannot be escaped at all (a newline
 * ends the line); a backslash is literal in InfluxDB 1.x but an escape in VictoriaMetrics; a lone surrogate is
 * not UTF-8.
 */
function textProblem(what: string, text: string): string | undefined {
  if (text === '') return `${what} is empty`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  const bad = /[\u0000-\u001f\u007f-\u009f\\]/.exec(text);
  if (bad) return `${what} ${JSON.stringify(text.slice(0, 80))} holds ${JSON.stringify(bad[0])}`;
  if (LONE_SURROGATE.test(text)) return `${what} ${JSON.stringify(text.slice(0, 80))} is not valid UTF-16`;
  return undefined;
}

const escapeMeasurement = (s: string) => s.replace(/[, ]/g, (c) => `\\${c}`);
const escapeKey = (s: string) => s.replace(/[,= ]/g, (c) => `\\${c}`);

/** Floats everywhere: a field's type is fixed by its first write, and integers would clash with fractions. */
export function formatValue(v: number): string {
  // String(1e21) is `1e+21`: adding `.0` to it would make a number InfluxDB cannot parse.
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return `${v === 0 ? 0 : v}.0`;
  return String(v);
}

/**
 * Series keys already encoded, by measurement and tags as given: a fleet writes the same few series over and
 * over, and checking and escaping their texts was most of the encoding's cost. Bounded: cleared when full.
 */
const seriesCache = new Map<string, string>();
const fieldKeyCache = new Map<string, string>();
const CACHE_MAX = 100_000;

function remember(cache: Map<string, string>, key: string, value: string): void {
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, value);
}

/**
 * The line of one point (time rounded to the millisecond: write with precision=ms), or why it cannot be written.
 * Gives exactly what `encodePointUncached` gives (line-protocol.test.ts checks it on random points).
 */
export function encodePoint(p: MetricPoint): Encoded {
  // Each text prefixed by its length: no two different measurements and tags give the same id.
  let id = `${p.measurement.length}:${p.measurement}`;
  for (const k in p.tags) {
    const v = p.tags[k] as string;
    id += `${k.length}:${k}${v.length}:${v}`;
  }
  const series = seriesCache.get(id);
  if (series === undefined) {
    const e = encodePointUncached(p);
    if (e.ok) remember(seriesCache, id, e.line.slice(0, seriesEnd(e.line)));
    return e;
  }
  let fields = '';
  for (const k in p.fields) {
    const v = p.fields[k] as number;
    const key = fieldKeyCache.get(k);
    if (key === undefined || typeof v !== 'number' || !Number.isFinite(v)) return encodePointUncached(p);
    fields += `${fields === '' ? '' : ','}${key}=${formatValue(v)}`;
  }
  const time = Math.round(p.time);
  if (fields === '' || !(time >= TIME_RANGE_MS.min && time <= TIME_RANGE_MS.max))
    return encodePointUncached(p);
  return { ok: true, line: `${series} ${fields} ${time}` };
}

/** Where a line's series key ends: the first space not escaped by a backslash. */
function seriesEnd(line: string): number {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === ' ') return i;
  }
  return line.length;
}

/** `encodePoint` without the caches: every text checked and escaped. */
export function encodePointUncached(p: MetricPoint): Encoded {
  const problem = pointProblem(p);
  if (problem) return { ok: false, reason: problem };
  const tags = Object.entries(p.tags)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `,${escapeKey(k)}=${escapeKey(v)}`)
    .join('');
  const series = `${escapeMeasurement(p.measurement)}${tags}`;
  if (Buffer.byteLength(series) > MAX_SERIES_KEY_BYTES)
    return { ok: false, reason: `series key over ${MAX_SERIES_KEY_BYTES} bytes` };
  const fields = Object.entries(p.fields).map(([k, v]) => {
    const key = escapeKey(k);
    if (!fieldKeyCache.has(k)) remember(fieldKeyCache, k, key);
    return `${key}=${formatValue(v)}`;
  });
  return { ok: true, line: `${series} ${fields.join(',')} ${Math.round(p.time)}` };
}

function pointProblem(p: MetricPoint): string | undefined {
  const m = textProblem('measurement', p.measurement);
  if (m) return m;
  if (p.measurement.startsWith('#')) return 'measurement starts with # (a comment line)';
  for (const [k, v] of Object.entries(p.tags)) {
    const problem =
      textProblem('tag key', k) ??
      (RESERVED_TAG_KEYS.has(k) ? `tag key ${k} is reserved` : undefined) ??
      (v === '' ? undefined : textProblem(`tag ${k}`, v));
    if (problem) return problem;
  }
  const fields = Object.entries(p.fields);
  if (fields.length === 0) return 'no field';
  for (const [k, v] of fields) {
    const problem =
      textProblem('field key', k) ??
      (RESERVED_FIELD_KEYS.has(k) ? `field key ${k} is reserved` : undefined) ??
      // VictoriaMetrics takes a quote in a field key for a string value and loses the point's time.
      (k.includes('"') ? `field key ${JSON.stringify(k)} holds a double quote` : undefined);
    if (problem) return problem;
    if (typeof v !== 'number' || !Number.isFinite(v)) return `field ${k} is not a finite number`;
  }
  const time = Math.round(p.time);
  if (!Number.isFinite(time) || time < TIME_RANGE_MS.min || time > TIME_RANGE_MS.max)
    return `time ${p.time} is outside InfluxDB's range (1677-09-21 to 2262-04-11)`;
  return undefined;
}

/** Lines for the points that can be written (`points[i]` made `lines[i]`), and the refused ones. */
export function encodePoints(points: readonly MetricPoint[]): {
  lines: string[];
  points: MetricPoint[];
  refused: RefusedPoint[];
} {
  const out = { lines: [] as string[], points: [] as MetricPoint[], refused: [] as RefusedPoint[] };
  for (const point of points) {
    const e = encodePoint(point);
    if (e.ok) {
      out.lines.push(e.line);
      out.points.push(point);
    } else out.refused.push({ point, reason: `not encodable: ${e.reason}` });
  }
  return out;
}

/** The lines of the points that can be written, one per line (an export; what cannot be encoded is left out). */
export function toLineProtocol(points: readonly MetricPoint[]): string {
  return encodePoints(points).lines.join('\n');
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
