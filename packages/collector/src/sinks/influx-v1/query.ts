// Reading points back from InfluxDB 1.x: a SeriesQuery as InfluxQL (GET /query, epoch=ms), and the answer
// as SeriesPoints. Names and values are quoted, never pasted, so a host name cannot change the query.
import type { SeriesPoint, SeriesQuery } from '../types.js';

const ident = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** One InfluxQL statement for the query: newest points first per series, all tags as series tags. */
export function seriesInfluxQL(q: SeriesQuery): string {
  const where = [`${ident('host')} = ${literal(q.host)}`];
  if (q.tenant !== null) where.push(`${ident('tenant')} = ${literal(q.tenant)}`);
  if (q.check !== undefined) where.push(`${ident('check')} = ${literal(q.check)}`);
  if (q.instance !== undefined) where.push(`${ident('instance')} = ${literal(q.instance)}`);
  where.push(`time >= ${Math.floor(q.sinceMs)}ms`);
  if (q.untilMs !== undefined) where.push(`time <= ${Math.floor(q.untilMs)}ms`);
  const fields = q.field === undefined ? '*' : ident(q.field);
  const from = q.measurement === undefined ? '/.*/' : ident(q.measurement);
  return (
    `SELECT ${fields} FROM ${from} WHERE ${where.join(' AND ')} GROUP BY * ` +
    `ORDER BY time DESC LIMIT ${q.limit ?? 10_000}`
  );
}

interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: Array<Array<number | string | boolean | null>>;
}

export interface InfluxQueryResponse {
  results?: Array<{ error?: string; series?: InfluxSeries[] }>;
  error?: string;
}

/** The points of an answer, oldest first, at most `limit` (the newest ones). Throws on an InfluxQL error. */
export function pointsOfResponse(body: InfluxQueryResponse, limit: number): SeriesPoint[] {
  const first = body.results?.[0];
  const error = body.error ?? first?.error;
  if (error) throw new Error(`InfluxQL error: ${error}`);
  const out: SeriesPoint[] = [];
  for (const s of first?.series ?? []) {
    const timeAt = s.columns.indexOf('time');
    const instance = s.tags?.instance ? s.tags.instance : undefined;
    const check = s.tags?.check ?? '';
    for (const row of s.values) {
      const time = row[timeAt];
      if (typeof time !== 'number') continue;
      s.columns.forEach((field, i) => {
        const value = row[i];
        if (i === timeAt || typeof value !== 'number') return;
        out.push({ measurement: s.name, field, instance, check, time, value });
      });
    }
  }
  out.sort((a, b) => a.time - b.time);
  return out.length > limit ? out.slice(out.length - limit) : out;
}
