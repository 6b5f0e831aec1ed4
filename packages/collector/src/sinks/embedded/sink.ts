// The embedded metrics store: a local SQLite file with bounded retention (by age and by point count),
// so that `npm start` shows charts with no InfluxDB installed.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import type { MetricPoint, MetricsSink, SeriesPoint, SeriesQuery } from '../types.js';

export interface EmbeddedConfig {
  path: string;
  retentionMs: number;
  maxPoints: number;
  now?: () => number;
}

interface Row {
  measurement: string;
  field: string;
  instance: string;
  check_id: string;
  ts: number;
  value: number;
}

export class EmbeddedSink implements MetricsSink {
  readonly name = 'embedded';
  private readonly db: SQLite.Database;
  private readonly insert: SQLite.Statement;
  private readonly now: () => number;
  private writesSincePrune = 0;

  constructor(private readonly config: EmbeddedConfig) {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    this.db = new SQLite(config.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS points (
        id INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL, host TEXT NOT NULL, check_id TEXT NOT NULL,
        measurement TEXT NOT NULL, instance TEXT NOT NULL, field TEXT NOT NULL,
        ts INTEGER NOT NULL, value REAL NOT NULL
      );
      CREATE UNIQUE INDEX IF NOT EXISTS points_series_ts
        ON points (tenant, host, check_id, measurement, instance, field, ts);
      CREATE INDEX IF NOT EXISTS points_ts ON points (ts);
    `);
    // Same series and timestamp replaces: a replayed result does not add a second point.
    this.insert = this.db.prepare(
      `INSERT OR REPLACE INTO points (tenant, host, check_id, measurement, instance, field, ts, value)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.now = config.now ?? Date.now;
  }

  async write(points: MetricPoint[]): Promise<void> {
    const tx = this.db.transaction((pts: MetricPoint[]) => {
      for (const p of pts) {
        for (const [field, value] of Object.entries(p.fields)) {
          if (!Number.isFinite(value)) continue;
          this.insert.run(
            p.tags.tenant ?? '',
            p.tags.host ?? '',
            p.tags.check ?? '',
            p.measurement,
            p.tags.instance ?? '',
            field,
            Math.round(p.time),
            value,
          );
        }
      }
    });
    tx(points);
    if (++this.writesSincePrune >= 200) this.prune();
  }

  /** Drops points past the retention age, then the oldest beyond the point budget. */
  prune(): number {
    this.writesSincePrune = 0;
    const byAge = this.db
      .prepare('DELETE FROM points WHERE ts < ?')
      .run(this.now() - this.config.retentionMs).changes;
    const max = this.db.prepare('SELECT max(id) AS m FROM points').get() as { m: number | null };
    const byCount =
      max.m === null
        ? 0
        : this.db.prepare('DELETE FROM points WHERE id <= ?').run(max.m - this.config.maxPoints).changes;
    return byAge + byCount;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM points').get() as { n: number }).n;
  }

  async query(q: SeriesQuery): Promise<SeriesPoint[]> {
    const where = ['host = ?', 'ts >= ?'];
    const args: Array<string | number> = [q.host, q.sinceMs];
    const filters: Array<[string, string | number | undefined]> = [
      ['tenant = ?', q.tenant ?? undefined],
      ['check_id = ?', q.check],
      ['measurement = ?', q.measurement],
      ['field = ?', q.field],
      ['instance = ?', q.instance],
      ['ts <= ?', q.untilMs],
    ];
    for (const [clause, value] of filters) {
      if (value === undefined) continue;
      where.push(clause);
      args.push(value);
    }
    // The newest points when there are more than the limit (a chart, a forecast, wants the recent end).
    const rows = this.db
      .prepare(
        `SELECT measurement, field, instance, check_id, ts, value FROM points WHERE ${where.join(' AND ')}
         ORDER BY ts DESC, id DESC LIMIT ?`,
      )
      .all(...args, q.limit ?? 10_000) as Row[];
    return rows.reverse().map((r) => ({
      measurement: r.measurement,
      field: r.field,
      instance: r.instance === '' ? undefined : r.instance,
      check: r.check_id,
      time: r.ts,
      value: r.value,
    }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
