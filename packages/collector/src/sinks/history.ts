// What the collector reads back from its metrics store about one tenant, apart from the ingest: the figures a
// client report needs (status counts of checks, min/max/last of a field over a period), the tenant's points as
// line protocol for an export, and erasing them for a purge. Embedded store and InfluxDB 1.x (InfluxQL) can
// answer; an InfluxDB v2 write API cannot be read back in a way common to its servers, so it has no history.
import { existsSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { request } from 'undici';
import type { SinkConfig } from '../config/load.js';
import { deleteTenant, tenantPoints } from './embedded/read.js';
import { toLineProtocol } from './line-protocol.js';
import type { MetricPoint } from './types.js';

export interface StatusCount {
  host: string;
  check: string;
  ok: number;
  warning: number;
  critical: number;
  unknown: number;
}

export interface FieldStat {
  host: string;
  check: string;
  instance: string;
  min: number;
  max: number;
  last: number;
  count: number;
}

export interface PeriodQuery {
  tenant: string;
  fromMs: number;
  /** Excluded. */
  toMs: number;
}

export interface MetricsHistory {
  readonly name: string;
  /** Results per status of each check of the tenant in the period (from the `vigie_check` points). */
  statusCounts(q: PeriodQuery): Promise<StatusCount[]>;
  /** min, max and last of a field per host, check and instance in the period. */
  fieldStats(q: PeriodQuery & { measurement: string; field: string }): Promise<FieldStat[]>;
  /** Every point of the tenant, as line protocol (ms), in batches; returns how many points. */
  exportTenant(tenant: string, onLines: (lines: string) => Promise<void>): Promise<number>;
  /** Erases every point of the tenant; returns how many points there were. */
  purgeTenant(tenant: string): Promise<number>;
  /** How many points of the tenant the store holds. */
  countTenant(tenant: string): Promise<number>;
  close(): Promise<void>;
}

const STATUS = ['ok', 'warning', 'critical', 'unknown'] as const;

/** The history reader of the configured sink, or undefined when the sink cannot be read back. */
export function openHistory(config: SinkConfig): MetricsHistory | undefined {
  if (config.kind === 'embedded')
    return config.path === ':memory:' ? undefined : new EmbeddedHistory(config.path);
  if (config.kind === 'influx-v1') return new InfluxV1History(config);
  return undefined;
}

/** Reads the embedded store's SQLite file through its own connection (WAL lets it run beside the sink's). */
export class EmbeddedHistory implements MetricsHistory {
  readonly name = 'embedded';
  private db: SQLite.Database | undefined;

  constructor(private readonly path: string) {}

  private open(): SQLite.Database | undefined {
    if (!this.db && existsSync(this.path)) {
      this.db = new SQLite(this.path);
      this.db.pragma('busy_timeout = 5000');
    }
    return this.db;
  }

  async statusCounts(q: PeriodQuery): Promise<StatusCount[]> {
    const db = this.open();
    if (!db) return [];
    const out = new Map<string, StatusCount>();
    for (const p of tenantPoints(db, q.tenant, q.fromMs, q.toMs)) {
      const code = p.fields.status_code;
      if (p.measurement !== 'vigie_check' || code === undefined) continue;
      const key = `${p.host}\u0000${p.check}`;
      const c = out.get(key) ?? { host: p.host, check: p.check, ok: 0, warning: 0, critical: 0, unknown: 0 };
      c[STATUS[code] ?? 'unknown'] += 1;
      out.set(key, c);
    }
    return [...out.values()].sort((a, b) => a.host.localeCompare(b.host) || a.check.localeCompare(b.check));
  }

  async fieldStats(q: PeriodQuery & { measurement: string; field: string }): Promise<FieldStat[]> {
    const db = this.open();
    if (!db) return [];
    const out = new Map<string, FieldStat & { lastAt: number }>();
    for (const p of tenantPoints(db, q.tenant, q.fromMs, q.toMs)) {
      const v = p.fields[q.field];
      if (p.measurement !== q.measurement || v === undefined) continue;
      const key = `${p.host}\u0000${p.check}\u0000${p.instance}`;
      const s = out.get(key);
      if (!s) {
        out.set(key, {
          host: p.host,
          check: p.check,
          instance: p.instance,
          min: v,
          max: v,
          last: v,
          count: 1,
          lastAt: p.time,
        });
        continue;
      }
      s.min = Math.min(s.min, v);
      s.max = Math.max(s.max, v);
      s.count++;
      if (p.time >= s.lastAt) {
        s.last = v;
        s.lastAt = p.time;
      }
    }
    return [...out.values()]
      .map(({ lastAt: _, ...s }) => s)
      .sort(
        (a, b) =>
          a.host.localeCompare(b.host) ||
          a.check.localeCompare(b.check) ||
          a.instance.localeCompare(b.instance),
      );
  }

  async exportTenant(tenant: string, onLines: (lines: string) => Promise<void>): Promise<number> {
    const db = this.open();
    if (!db) return 0;
    let count = 0;
    let batch: MetricPoint[] = [];
    for (const p of tenantPoints(db, tenant)) {
      const tags: Record<string, string> = { tenant, host: p.host, check: p.check };
      if (p.instance !== '') tags.instance = p.instance;
      batch.push({ measurement: p.measurement, tags, fields: p.fields, time: p.time });
      count++;
      if (batch.length >= 5000) {
        await onLines(`${toLineProtocol(batch)}\n`);
        batch = [];
      }
    }
    if (batch.length > 0) await onLines(`${toLineProtocol(batch)}\n`);
    return count;
  }

  async countTenant(tenant: string): Promise<number> {
    const db = this.open();
    if (!db) return 0;
    let n = 0;
    for (const _ of tenantPoints(db, tenant)) n++;
    return n;
  }

  async purgeTenant(tenant: string): Promise<number> {
    const db = this.open();
    if (!db) return 0;
    const removed = deleteTenant(db, tenant);
    compactSqlite(db);
    return removed;
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }
}

/**
 * Rewrites a SQLite file so that deleted rows leave no bytes behind: secure_delete zeroes freed pages, VACUUM
 * rebuilds the file, and a truncating checkpoint empties the write-ahead log.
 */
export function compactSqlite(db: SQLite.Database): void {
  db.pragma('secure_delete = ON');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('VACUUM');
  db.pragma('wal_checkpoint(TRUNCATE)');
}

interface InfluxResult {
  error?: string;
  series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
}

/** InfluxQL string literal. */
const lit = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** InfluxQL identifier. */
const ident = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export class InfluxV1History implements MetricsHistory {
  readonly name = 'influx-v1';
  private readonly headers: Record<string, string> = {};

  constructor(
    private readonly config: {
      url: string;
      database: string;
      username?: string;
      password?: string;
      timeoutMs: number;
    },
  ) {
    if (config.username !== undefined) {
      const cred = Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64');
      this.headers.authorization = `Basic ${cred}`;
    }
  }

  /** Runs InfluxQL; `write` statements (DROP) go by POST. */
  private async query(q: string, write = false): Promise<InfluxResult[]> {
    const u = new URL('/query', this.config.url);
    u.searchParams.set('db', this.config.database);
    u.searchParams.set('epoch', 'ms');
    const body = new URLSearchParams({ q }).toString();
    const res = await request(write ? u.toString() : `${u.toString()}&${body}`, {
      method: write ? 'POST' : 'GET',
      headers: write
        ? { ...this.headers, 'content-type': 'application/x-www-form-urlencoded' }
        : this.headers,
      ...(write ? { body } : {}),
      headersTimeout: this.config.timeoutMs * 6,
      bodyTimeout: this.config.timeoutMs * 6,
    }).catch((err: Error) => {
      throw new Error(`InfluxDB 1.x at ${this.config.url} unreachable: ${err.message}`);
    });
    const text = await res.body.text();
    if (res.statusCode !== 200)
      throw new Error(`InfluxQL ${q.slice(0, 80)}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
    const results = (JSON.parse(text) as { results: InfluxResult[] }).results;
    const failed = results.find((r) => r.error);
    if (failed) throw new Error(`InfluxQL ${q.slice(0, 80)}: ${failed.error}`);
    return results;
  }

  private range(q: PeriodQuery): string {
    return `${ident('tenant')} = ${lit(q.tenant)} AND time >= ${q.fromMs}ms AND time < ${q.toMs}ms`;
  }

  async statusCounts(q: PeriodQuery): Promise<StatusCount[]> {
    const out = new Map<string, StatusCount>();
    for (const [code, status] of STATUS.entries()) {
      const [r] = await this.query(
        `SELECT count("status_code") FROM "vigie_check" WHERE ${this.range(q)} AND "status_code" = ${code} GROUP BY "host", "check"`,
      );
      for (const s of r?.series ?? []) {
        const host = s.tags?.host ?? '';
        const check = s.tags?.check ?? '';
        const key = `${host}\u0000${check}`;
        const c = out.get(key) ?? { host, check, ok: 0, warning: 0, critical: 0, unknown: 0 };
        c[status] += Number(s.values[0]?.[1] ?? 0);
        out.set(key, c);
      }
    }
    return [...out.values()].sort((a, b) => (a.host + a.check < b.host + b.check ? -1 : 1));
  }

  async fieldStats(q: PeriodQuery & { measurement: string; field: string }): Promise<FieldStat[]> {
    const f = ident(q.field);
    const [r] = await this.query(
      `SELECT min(${f}), max(${f}), last(${f}), count(${f}) FROM ${ident(q.measurement)} WHERE ${this.range(q)} GROUP BY "host", "check", "instance"`,
    );
    return (r?.series ?? []).map((s) => {
      const v = s.values[0] ?? [];
      return {
        host: s.tags?.host ?? '',
        check: s.tags?.check ?? '',
        instance: s.tags?.instance ?? '',
        min: Number(v[1]),
        max: Number(v[2]),
        last: Number(v[3]),
        count: Number(v[4]),
      };
    });
  }

  private async measurements(tenant: string): Promise<string[]> {
    const [r] = await this.query(`SHOW MEASUREMENTS WHERE ${ident('tenant')} = ${lit(tenant)}`);
    return (r?.series?.[0]?.values ?? []).map((v) => String(v[0]));
  }

  async exportTenant(tenant: string, onLines: (lines: string) => Promise<void>): Promise<number> {
    let count = 0;
    for (const m of await this.measurements(tenant)) {
      const [r] = await this.query(
        `SELECT * FROM ${ident(m)} WHERE ${ident('tenant')} = ${lit(tenant)} GROUP BY *`,
      );
      const points: MetricPoint[] = [];
      for (const s of r?.series ?? []) {
        for (const row of s.values) {
          const fields: Record<string, number> = {};
          s.columns.forEach((col, i) => {
            if (i > 0 && typeof row[i] === 'number') fields[col] = row[i] as number;
          });
          points.push({ measurement: m, tags: { ...(s.tags ?? {}) }, fields, time: Number(row[0]) });
        }
      }
      count += points.length;
      for (let i = 0; i < points.length; i += 5000)
        await onLines(`${toLineProtocol(points.slice(i, i + 5000))}\n`);
    }
    return count;
  }

  async countTenant(tenant: string): Promise<number> {
    let count = 0;
    for (const m of await this.measurements(tenant)) {
      const [r] = await this.query(
        `SELECT count(*) FROM ${ident(m)} WHERE ${ident('tenant')} = ${lit(tenant)}`,
      );
      // A point has one or more fields: the largest field count is the number of points.
      const row = r?.series?.[0]?.values[0] ?? [];
      count += Math.max(0, ...row.slice(1).map((v) => Number(v ?? 0)));
    }
    return count;
  }

  async purgeTenant(tenant: string): Promise<number> {
    const count = await this.countTenant(tenant);
    await this.query(`DROP SERIES WHERE ${ident('tenant')} = ${lit(tenant)}`, true);
    return count;
  }

  async close(): Promise<void> {}
}

/** The tenant's points waiting in a spool file (for an InfluxDB sink that was down). */
export function spooledPoints(path: string, tenant: string): MetricPoint[] {
  if (!existsSync(path)) return [];
  const db = new SQLite(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT points FROM spool ORDER BY id').all() as Array<{ points: string }>;
    return rows.flatMap((r) =>
      (JSON.parse(r.points) as MetricPoint[]).filter((p) => p.tags.tenant === tenant),
    );
  } finally {
    db.close();
  }
}

/** Removes the tenant's points from a spool file; returns how many. */
export function purgeSpool(path: string, tenant: string): number {
  if (!existsSync(path)) return 0;
  const db = new SQLite(path);
  try {
    let removed = 0;
    const rows = db.prepare('SELECT id, points FROM spool ORDER BY id').all() as Array<{
      id: number;
      points: string;
    }>;
    const update = db.prepare('UPDATE spool SET points = ?, bytes = ? WHERE id = ?');
    const drop = db.prepare('DELETE FROM spool WHERE id = ?');
    db.transaction(() => {
      for (const r of rows) {
        const points = JSON.parse(r.points) as MetricPoint[];
        const kept = points.filter((p) => p.tags.tenant !== tenant);
        if (kept.length === points.length) continue;
        removed += points.length - kept.length;
        if (kept.length === 0) drop.run(r.id);
        else {
          const text = JSON.stringify(kept);
          update.run(text, Buffer.byteLength(text), r.id);
        }
      }
    })();
    compactSqlite(db);
    return removed;
  } finally {
    db.close();
  }
}
