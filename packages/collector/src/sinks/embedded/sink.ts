// The embedded metrics store: a local SQLite file with bounded retention (by age and by point count), so that
// `npm start` shows charts with no InfluxDB installed.
//
// Layout, for cheap writes and cheap retention: the points of one check run (same tenant, host, check and
// time) are one row, their measurements, instances and fields packed as JSON; rows go to the newest of a
// chain of segment tables, each indexed by (series, time), and a segment that holds its share of the point
// budget is closed and a new one started. Retention drops whole segments (a DROP TABLE, not a delete per
// row): those entirely older than the retention, and the oldest while the rest still holds the budget.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  type MetricPoint,
  type MetricsSink,
  measurementFor,
  type ResultRecord,
  type SeriesPoint,
  type SeriesQuery,
  STATUS_CODE,
  type WriteReport,
} from '../types.js';

export interface EmbeddedConfig {
  path: string;
  retentionMs: number;
  /** Stored rows kept at least (one row per check run); older segments beyond it are dropped. */
  maxPoints: number;
  now?: () => number;
}

interface Segment {
  id: number;
  rows: number;
  minTs: number;
  maxTs: number;
}

/** One packed point: measurement, instance ('' for none), fields. */
type Packed = [string, string, Record<string, number>];

const ROWS_PER_STATEMENT = 100;
/** Segments per budget: the retention drops a tenth of the budget at a time. */
const SEGMENTS_PER_BUDGET = 10;

export class EmbeddedSink implements MetricsSink {
  readonly name = 'embedded';
  private readonly db: SQLite.Database;
  private readonly now: () => number;
  private readonly segmentRows: number;
  private readonly segments: Segment[] = [];
  private readonly series = new Map<string, number>();
  private readonly statements = new Map<string, SQLite.Statement>();
  private writesSincePrune = 0;

  constructor(private readonly config: EmbeddedConfig) {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    this.db = new SQLite(config.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.now = config.now ?? Date.now;
    this.segmentRows = Math.max(1, Math.ceil(config.maxPoints / SEGMENTS_PER_BUDGET));
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS series (
        id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, host TEXT NOT NULL, check_id TEXT NOT NULL,
        UNIQUE (tenant, host, check_id)
      );
      CREATE TABLE IF NOT EXISTS segments (
        id INTEGER PRIMARY KEY, rows INTEGER NOT NULL, min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL
      );
    `);
    for (const r of this.db.prepare('SELECT id, tenant, host, check_id FROM series').all() as Array<{
      id: number;
      tenant: string;
      host: string;
      check_id: string;
    }>) {
      this.series.set(seriesKey(r.tenant, r.host, r.check_id), r.id);
    }
    for (const r of this.db
      .prepare('SELECT id, rows, min_ts, max_ts FROM segments ORDER BY id')
      .all() as Array<{
      id: number;
      rows: number;
      min_ts: number;
      max_ts: number;
    }>) {
      this.segments.push({ id: r.id, rows: r.rows, minTs: r.min_ts, maxTs: r.max_ts });
    }
    this.convertPreviousLayout();
  }

  private prepared(sql: string): SQLite.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** SQLite takes any finite number and any text: nothing is refused (non-finite values are skipped). */
  async write(points: MetricPoint[]): Promise<WriteReport> {
    if (points.length > 0) {
      this.db.transaction(() => this.writeRows(pack(points)))();
      if (++this.writesSincePrune >= 50) this.prune();
    }
    return { refused: [] };
  }

  /** The rows of whole results, packed straight from them (the same rows as `write` of their points). */
  async writeResults(records: readonly ResultRecord[]): Promise<WriteReport> {
    if (records.length > 0) {
      this.db.transaction(() => this.writeRows(packRecords(records)))();
      if (++this.writesSincePrune >= 50) this.prune();
    }
    return { refused: [] };
  }

  private writeRows(rows: Map<string, Row>) {
    const args: Array<number | string> = [];
    let segment = this.hotSegment();
    let inSegment = 0;
    const flush = () => {
      const n = args.length / 3;
      if (n === 0) return;
      this.prepared(
        `INSERT OR REPLACE INTO seg_${segment.id} (series, ts, data) VALUES ${'(?, ?, ?), '.repeat(n - 1)}(?, ?, ?)`,
      ).run(...args);
      args.length = 0;
    };
    for (const r of rows.values()) {
      if (segment.rows + inSegment >= this.segmentRows) {
        flush();
        this.closeSegment(segment, inSegment);
        segment = this.newSegment();
        inSegment = 0;
      }
      args.push(this.seriesId(r.tenant, r.host, r.check), r.ts, JSON.stringify(r.points));
      inSegment++;
      if (r.ts < segment.minTs) segment.minTs = r.ts;
      if (r.ts > segment.maxTs) segment.maxTs = r.ts;
      if (args.length >= ROWS_PER_STATEMENT * 3) flush();
    }
    flush();
    this.closeSegment(segment, inSegment);
  }

  /** Records rows added to a segment (an upper bound: a replayed row replaces one). */
  private closeSegment(s: Segment, added: number): void {
    s.rows += added;
    this.prepared('UPDATE segments SET rows = ?, min_ts = ?, max_ts = ? WHERE id = ?').run(
      s.rows,
      s.minTs,
      s.maxTs,
      s.id,
    );
  }

  private hotSegment(): Segment {
    const last = this.segments[this.segments.length - 1];
    return last && last.rows < this.segmentRows ? last : this.newSegment();
  }

  private newSegment(): Segment {
    const id = Number(
      this.prepared('INSERT INTO segments (rows, min_ts, max_ts) VALUES (0, ?, ?)').run(
        Number.MAX_SAFE_INTEGER,
        Number.MIN_SAFE_INTEGER,
      ).lastInsertRowid,
    );
    this.db.exec(
      `CREATE TABLE seg_${id} (series INTEGER NOT NULL, ts INTEGER NOT NULL, data TEXT NOT NULL);
       CREATE UNIQUE INDEX seg_${id}_series_ts ON seg_${id} (series, ts);`,
    );
    const s = { id, rows: 0, minTs: Number.MAX_SAFE_INTEGER, maxTs: Number.MIN_SAFE_INTEGER };
    this.segments.push(s);
    return s;
  }

  private seriesId(tenant: string, host: string, check: string): number {
    const key = seriesKey(tenant, host, check);
    let id = this.series.get(key);
    if (id === undefined) {
      id = Number(
        this.prepared('INSERT INTO series (tenant, host, check_id) VALUES (?, ?, ?)').run(tenant, host, check)
          .lastInsertRowid,
      );
      this.series.set(key, id);
    }
    return id;
  }

  /** Drops the segments past the retention age, then the oldest ones while the rest holds the point budget. */
  prune(): number {
    this.writesSincePrune = 0;
    const cutoff = this.now() - this.config.retentionMs;
    let dropped = 0;
    const drop = (s: Segment) => {
      this.db.transaction(() => {
        this.db.exec(`DROP TABLE IF EXISTS seg_${s.id}`);
        this.prepared('DELETE FROM segments WHERE id = ?').run(s.id);
      })();
      dropped += s.rows;
      this.segments.splice(this.segments.indexOf(s), 1);
    };
    for (const s of [...this.segments]) if (s.rows > 0 && s.maxTs < cutoff) drop(s);
    let total = this.segments.reduce((n, s) => n + s.rows, 0);
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as Segment;
      if (total - oldest.rows < this.config.maxPoints) break;
      total -= oldest.rows;
      drop(oldest);
    }
    return dropped;
  }

  /** Rows stored (one per check run and time). */
  count(): number {
    let n = 0;
    for (const s of this.segments) {
      n += (this.prepared(`SELECT count(*) AS n FROM seg_${s.id}`).get() as { n: number }).n;
    }
    return n;
  }

  async query(q: SeriesQuery): Promise<SeriesPoint[]> {
    const ids: Array<[number, string]> = [];
    const rows = this.prepared(
      'SELECT id, tenant, check_id FROM series WHERE host = ?' +
        (q.tenant !== null ? ' AND tenant = ?' : '') +
        (q.check ? ' AND check_id = ?' : ''),
    ).all(...[q.host, ...(q.tenant !== null ? [q.tenant] : []), ...(q.check ? [q.check] : [])]) as Array<{
      id: number;
      check_id: string;
    }>;
    for (const r of rows) ids.push([r.id, r.check_id]);
    if (ids.length === 0) return [];
    const checkOf = new Map(ids);
    // The same (series, time) may sit in two segments (a replay after a segment closed): the newest wins.
    const byKey = new Map<string, { series: number; ts: number; data: string }>();
    const until = q.untilMs ?? Number.MAX_SAFE_INTEGER;
    for (const s of this.segments) {
      if (s.maxTs < q.sinceMs || s.minTs > until) continue;
      const found = this.prepared(
        `SELECT series, ts, data FROM seg_${s.id} WHERE series IN (${ids.map(() => '?').join(', ')}) AND ts >= ? AND ts <= ?`,
      ).all(...ids.map(([id]) => id), q.sinceMs, until) as Array<{
        series: number;
        ts: number;
        data: string;
      }>;
      for (const r of found) byKey.set(`${r.series}:${r.ts}`, r);
    }
    // The newest points when there are more than the limit (a chart, a forecast, wants the recent end).
    const sorted = [...byKey.values()].sort((a, b) => b.ts - a.ts);
    const limit = q.limit ?? 10_000;
    const out: SeriesPoint[] = [];
    for (const r of sorted) {
      const rowPoints: SeriesPoint[] = [];
      for (const [measurement, instance, fields] of JSON.parse(r.data) as Packed[]) {
        if (q.measurement !== undefined && measurement !== q.measurement) continue;
        if (q.instance !== undefined && instance !== q.instance) continue;
        for (const [field, value] of Object.entries(fields)) {
          if (q.field && field !== q.field) continue;
          rowPoints.push({
            measurement,
            field,
            instance: instance === '' ? undefined : instance,
            check: checkOf.get(r.series) ?? '',
            time: r.ts,
            value,
          });
        }
      }
      out.push(...rowPoints.reverse());
      if (out.length >= limit) break;
    }
    return out.slice(0, limit).reverse();
  }

  /**
   * Stores of an earlier release kept one row per field in a `points` table: carried over into segments once,
   * so an upgrade keeps its charts' history; then the old table is dropped.
   */
  private convertPreviousLayout(): void {
    const old = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'points'").get();
    if (!old) return;
    type Old = {
      tenant: string;
      host: string;
      check_id: string;
      measurement: string;
      instance: string;
      field: string;
      ts: number;
      value: number;
    };
    const cols = 'tenant, host, check_id, measurement, instance, field, ts, value';
    // Key by key (a statement cannot run while another one iterates), a point's fields always in one chunk.
    const first = this.db.prepare(
      `SELECT ${cols} FROM points ORDER BY tenant, host, check_id, ts LIMIT 10000`,
    );
    const next = this.db.prepare(
      `SELECT ${cols} FROM points WHERE (tenant, host, check_id, ts) > (?, ?, ?, ?)
       ORDER BY tenant, host, check_id, ts LIMIT 10000`,
    );
    const rest = this.db.prepare(
      `SELECT ${cols} FROM points WHERE tenant = ? AND host = ? AND check_id = ? AND ts = ?`,
    );
    const toPoint = (r: Old): MetricPoint => ({
      measurement: r.measurement,
      tags: { tenant: r.tenant, host: r.host, check: r.check_id, instance: r.instance },
      fields: { [r.field]: r.value },
      time: r.ts,
    });
    this.db.transaction(() => {
      let chunk = first.all() as Old[];
      while (chunk.length > 0) {
        const last = chunk[chunk.length - 1] as Old;
        const lastKey = [last.tenant, last.host, last.check_id, last.ts] as const;
        const same = (r: Old) =>
          r.tenant === last.tenant &&
          r.host === last.host &&
          r.check_id === last.check_id &&
          r.ts === last.ts;
        const done = chunk.filter((r) => !same(r));
        const tail = rest.all(...lastKey) as Old[];
        this.writeRows(pack([...done, ...tail].map(toPoint)));
        chunk = next.all(...lastKey) as Old[];
      }
      this.db.exec('DROP TABLE points');
    })();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function seriesKey(tenant: string, host: string, check: string): string {
  return `${tenant}\u0000${host}\u0000${check}`;
}

interface Row {
  tenant: string;
  host: string;
  check: string;
  ts: number;
  points: Packed[];
}

/** Adds one point's finite fields to the row of its (tenant, host, check, time): same measurement and instance merge. */
function addToRow(
  rows: Map<string, Row>,
  tenant: string,
  host: string,
  check: string,
  time: number,
  measurement: string,
  instance: string,
  fields: Record<string, number>,
): void {
  const finite: Record<string, number> = {};
  let any = false;
  for (const k in fields) {
    const v = fields[k] as number;
    if (!Number.isFinite(v)) continue;
    finite[k] = v;
    any = true;
  }
  if (!any) return;
  const ts = Math.round(time);
  const key = `${tenant}\u0000${host}\u0000${check}\u0000${ts}`;
  let row = rows.get(key);
  if (!row) {
    row = { tenant, host, check, ts, points: [] };
    rows.set(key, row);
  }
  const same = row.points.find(([m, i]) => m === measurement && i === instance);
  if (same) Object.assign(same[2], finite);
  else row.points.push([measurement, instance, finite]);
}

/**
 * The rows of whole results without building their points: what `pack(resultToPoints(...))` gives (one point
 * per metric instance in the check type's measurement, then `vigie_check` with the status codes and duration).
 */
export function packRecords(records: readonly ResultRecord[]): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const { who, result, status, time } of records) {
    const measurement = measurementFor(result.type);
    const byInstance = new Map<string, Record<string, number>>();
    for (const name in result.metrics) {
      const at = name.indexOf('@');
      const field = at < 0 ? name : name.slice(0, at);
      const instance = at < 0 ? '' : name.slice(at + 1);
      let fields = byInstance.get(instance);
      if (!fields) {
        fields = {};
        byInstance.set(instance, fields);
      }
      fields[field] = result.metrics[name] as number;
    }
    for (const [instance, fields] of byInstance)
      addToRow(rows, who.tenant, who.host, result.checkId, time, measurement, instance, fields);
    addToRow(rows, who.tenant, who.host, result.checkId, time, 'vigie_check', '', {
      status_code: STATUS_CODE[status],
      agent_status_code: STATUS_CODE[result.status],
      duration_ms: result.durationMs,
    });
  }
  return rows;
}

/** Groups points by (tenant, host, check, time): one row each. Points of the same measurement and instance merge. */
export function pack(points: readonly MetricPoint[]): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const p of points) {
    addToRow(
      rows,
      p.tags.tenant ?? '',
      p.tags.host ?? '',
      p.tags.check ?? '',
      p.time,
      p.measurement,
      p.tags.instance ?? '',
      p.fields,
    );
  }
  return rows;
}
