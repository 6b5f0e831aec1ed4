// A bounded disk spool in front of a remote metrics sink. While the sink answers, points go straight through.
// When it fails or is too slow, points are written to a local SQLite spool (so the batch can be acked: the
// points are durable) and a drainer sends them to the sink in order once it answers again. While anything is
// spooled, new points queue behind it, so order is kept. When the spool is full, writes fail: the batch is not
// acked and the agent keeps it, so nothing is lost either way.
//
// Points the store refuses as bad data (isolated by the sink, see isolate.ts) never block the others: they go to
// a bounded dead-letter table with the reason, in the same SQLite file. The same file, because a spooled batch
// leaves the spool and its refused points enter the dead letters in one transaction (no loss, no double), and
// because both are this collector's local metrics buffer, not shared state (the store's tables are).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { encodePoint } from '../line-protocol.js';
import type {
  DeadLetter,
  DeadLetterQuery,
  MetricPoint,
  MetricsSink,
  RefusedPoint,
  SeriesPoint,
  SeriesQuery,
  WriteReport,
} from '../types.js';

/** The reason of a `spooled` event when points only queue behind earlier ones (not a failure). */
export const QUEUED_BEHIND = 'earlier points are still spooled';

export interface SpoolOptions {
  path: string;
  maxBytes: number;
  /** Dead letters kept at most; the oldest go first. */
  deadLetterMax: number;
  now?: () => number;
  /** A sink write slower than this is treated as failed and spooled (it may still land: writes are idempotent). */
  writeTimeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  onEvent?: (event: SpoolEvent) => void;
}

export type SpoolEvent =
  | { kind: 'spooled'; points: number; reason: string }
  | { kind: 'drained'; points: number }
  | { kind: 'retry'; reason: string; inMs: number }
  | { kind: 'full'; bytes: number }
  | { kind: 'dead-lettered'; points: number; reason: string };

export class SpoolFullError extends Error {}

export class SpoolingSink implements MetricsSink {
  readonly name: string;
  private readonly db: SQLite.Database;
  private bytes: number;
  private rows: number;
  private draining: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  readonly query?: (q: SeriesQuery) => Promise<SeriesPoint[]>;

  constructor(
    private readonly inner: MetricsSink,
    private readonly options: SpoolOptions,
  ) {
    this.name = inner.name;
    if (inner.query) this.query = (q) => (inner.query as (q: SeriesQuery) => Promise<SeriesPoint[]>)(q);
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new SQLite(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY AUTOINCREMENT, points TEXT NOT NULL, bytes INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, tenant TEXT NOT NULL, host TEXT NOT NULL,
        measurement TEXT NOT NULL, line TEXT, point TEXT NOT NULL, reason TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS dead_letters_tenant ON dead_letters (tenant, id);
    `);
    const s = this.db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM spool').get() as {
      n: number;
      b: number;
    };
    this.rows = s.n;
    this.bytes = s.b;
    if (this.rows > 0) this.scheduleDrain(0);
  }

  /** Spooled bytes and batches, for /metrics and tests. */
  backlog(): { bytes: number; batches: number } {
    return { bytes: this.bytes, batches: this.rows };
  }

  async write(points: MetricPoint[]): Promise<WriteReport> {
    if (points.length === 0) return { refused: [] };
    if (this.rows === 0 && !this.draining) {
      try {
        const report = await this.writeThrough(points);
        this.db.transaction(() => this.deadLetter(report.refused))();
        return report;
      } catch (err) {
        this.spool(points, (err as Error).message);
        this.scheduleDrain(this.nextDelay());
        return { refused: [] };
      }
    }
    this.spool(points, QUEUED_BEHIND);
    return { refused: [] };
  }

  /** Keeps refused points with their reason, within the bound (call inside a transaction). */
  private deadLetter(refused: readonly RefusedPoint[]): void {
    if (refused.length === 0) return;
    const at = new Date((this.options.now ?? Date.now)()).toISOString();
    const insert = this.db.prepare(
      'INSERT INTO dead_letters (at, tenant, host, measurement, line, point, reason) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const { point, reason } of refused) {
      const encoded = encodePoint(point);
      insert.run(
        at,
        point.tags.tenant ?? '',
        point.tags.host ?? '',
        point.measurement,
        encoded.ok ? encoded.line : null,
        JSON.stringify(point),
        reason,
      );
    }
    const last = this.db.prepare('SELECT max(id) AS m FROM dead_letters').get() as { m: number };
    this.db.prepare('DELETE FROM dead_letters WHERE id <= ?').run(last.m - this.options.deadLetterMax);
    this.options.onEvent?.({
      kind: 'dead-lettered',
      points: refused.length,
      reason: refused[0]?.reason ?? '',
    });
  }

  /** Refused points, newest first. */
  deadLetters(q: DeadLetterQuery): DeadLetter[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (q.tenant !== null) {
      where.push('tenant = ?');
      args.push(q.tenant);
    }
    if (q.before !== undefined) {
      where.push('id < ?');
      args.push(q.before);
    }
    const rows = this.db
      .prepare(
        `SELECT id, at, tenant, host, measurement, line, point, reason FROM dead_letters
         ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...args, q.limit) as Array<Omit<DeadLetter, 'point'> & { point: string }>;
    return rows.map((r) => ({ ...r, point: JSON.parse(r.point) as MetricPoint }));
  }

  private spool(points: MetricPoint[], reason: string): void {
    const text = JSON.stringify(points);
    const size = Buffer.byteLength(text);
    if (this.bytes + size > this.options.maxBytes) {
      this.options.onEvent?.({ kind: 'full', bytes: this.bytes });
      throw new SpoolFullError(
        `metrics spool full (${this.bytes} of ${this.options.maxBytes} bytes) while the ${this.name} sink is failing: ${reason}`,
      );
    }
    this.db.prepare('INSERT INTO spool (points, bytes) VALUES (?, ?)').run(text, size);
    this.rows++;
    this.bytes += size;
    this.options.onEvent?.({ kind: 'spooled', points: points.length, reason });
  }

  private writeThrough(points: MetricPoint[]): Promise<WriteReport> {
    return new Promise<WriteReport>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name} sink did not answer within ${this.options.writeTimeoutMs} ms`)),
        this.options.writeTimeoutMs,
      );
      this.inner.write(points).then(
        (report) => {
          clearTimeout(timer);
          resolve(report);
        },
        (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  private nextDelay(): number {
    return Math.min(this.options.retryMaxMs, this.options.retryMinMs * 2 ** Math.min(this.failures, 20));
  }

  private scheduleDrain(delayMs: number): void {
    if (this.closed || this.retryTimer || this.draining) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.draining = this.drain().finally(() => {
        this.draining = undefined;
        if (this.rows > 0) this.scheduleDrain(this.nextDelay());
      });
    }, delayMs);
  }

  /**
   * Sends spooled batches oldest first; stops at the first failure (to retry later, in order). A batch leaves
   * the spool once written, its refused points (if any) entering the dead letters in the same transaction.
   */
  private async drain(): Promise<void> {
    const next = this.db.prepare('SELECT id, points, bytes FROM spool ORDER BY id LIMIT 1');
    const remove = this.db.prepare('DELETE FROM spool WHERE id = ?');
    while (!this.closed) {
      const row = next.get() as { id: number; points: string; bytes: number } | undefined;
      if (!row) {
        this.failures = 0;
        return;
      }
      const points = JSON.parse(row.points) as MetricPoint[];
      let report: WriteReport;
      try {
        report = await this.writeThrough(points);
      } catch (err) {
        this.failures++;
        this.options.onEvent?.({ kind: 'retry', reason: (err as Error).message, inMs: this.nextDelay() });
        return;
      }
      this.db.transaction(() => {
        this.deadLetter(report.refused);
        remove.run(row.id);
      })();
      this.rows--;
      this.bytes -= row.bytes;
      this.options.onEvent?.({ kind: 'drained', points: points.length - report.refused.length });
    }
  }

  /** Waits until the spool is empty or `timeoutMs` passes; true when empty. */
  async flushed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.rows > 0 && Date.now() < deadline) {
      if (!this.draining && !this.retryTimer) this.scheduleDrain(0);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.rows === 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.draining;
    this.db.close();
    await this.inner.close();
  }
}
