// The ingest hot path on SQLite: prepared multi-row statements (cached by row count), run on the raw
// better-sqlite3 handle while holding Kysely's connection, so nothing else interleaves with a transaction.
import type SQLite from 'better-sqlite3';
import type { Db } from '../../store/open.js';
import type { CheckStateTable, TicketTable } from '../../store/schema.js';
import type { IngestStreamTable } from '../migration.js';
import {
  AGENT_SEEN_UPDATE,
  CHECK_STATE_UPSERT,
  DELIVERY_INSERT,
  type InsertSpec,
  type Row,
  SEEN_INSERT,
  STREAM_UPSERT,
  TICKET_EVENT_INSERT,
  TICKET_INSERT,
  TICKET_UPDATE,
  type UpdateSpec,
} from './tables.js';
import type { BehindWrite, GroupWrite, HostRecord, IngestStore, IngestTx } from './types.js';

/** Rows per multi-row statement: few statements, and a bounded number of prepared shapes per table. */
const ROWS_PER_STATEMENT = 64;
const KEYS_PER_QUERY = 500;

type Value = string | number | bigint | null;

function insertSql(spec: InsertSpec<never>, rows: number): string {
  const cols = spec.columns.map(([c]) => c);
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  let sql = `INSERT INTO ${spec.table} (${cols.join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`;
  if (spec.conflict?.action === 'ignore')
    sql += ` ON CONFLICT (${spec.conflict.target.join(', ')}) DO NOTHING`;
  if (spec.conflict?.action === 'update') {
    sql += ` ON CONFLICT (${spec.conflict.target.join(', ')}) DO UPDATE SET ${spec.conflict.set
      .map((c) => `${c} = excluded.${c}`)
      .join(', ')}`;
  }
  return sql;
}

function value(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return JSON.stringify(v);
}

export class SqliteIngestStore implements IngestStore {
  readonly dialect = 'sqlite';
  readonly counters = { statements: 0, transactions: 0 };
  private readonly statements = new Map<string, SQLite.Statement>();
  private lane: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly sqlite: SQLite.Database,
  ) {}

  private prepared(sql: string): SQLite.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.sqlite.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` holding Kysely's only SQLite connection: no Kysely query (API, sweeps) runs in between. */
  private exclusive<T>(fn: () => T): Promise<T> {
    return this.db.connection().execute(async () => fn());
  }

  async loadHost(tenantId: string, host: string, epoch: string | undefined): Promise<HostRecord> {
    return this.exclusive(() => {
      this.counters.statements += epoch ? 2 : 1;
      const checks = this.prepared('SELECT * FROM check_states WHERE tenant_id = ? AND host = ?').all(
        tenantId,
        host,
      ) as CheckStateTable[];
      const stream = epoch
        ? (this.prepared(
            'SELECT high_water FROM ingest_streams WHERE tenant_id = ? AND host = ? AND epoch = ?',
          ).get(tenantId, host, epoch) as Pick<IngestStreamTable, 'high_water'> | undefined)
        : undefined;
      return { checks, highWater: stream ? Number(stream.high_water) : undefined };
    });
  }

  async seenIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    return this.exclusive(() => {
      const out = new Set<string>();
      for (let i = 0; i < ids.length; i += KEYS_PER_QUERY) {
        const chunk = ids.slice(i, i + KEYS_PER_QUERY);
        this.counters.statements++;
        const rows = this.prepared(
          `SELECT result_id FROM seen_results WHERE result_id IN (${chunk.map(() => '?').join(', ')})`,
        ).all(...chunk) as Array<{ result_id: string }>;
        for (const r of rows) out.add(r.result_id);
      }
      return out;
    });
  }

  transaction<T>(fn: (tx: IngestTx) => Promise<T>): Promise<T> {
    const run = this.lane.then(() =>
      this.db.connection().execute(async () => {
        this.counters.transactions++;
        this.sqlite.exec('BEGIN IMMEDIATE');
        try {
          const out = await fn(this.tx());
          this.sqlite.exec('COMMIT');
          return out;
        } catch (err) {
          if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK');
          throw err;
        }
      }),
    );
    this.lane = run.catch(() => undefined);
    return run;
  }

  private tx(): IngestTx {
    return {
      // One process owns an SQLite store: every host is ours.
      fence: async (hosts) => new Set(hosts.map((h) => h.key)),
      ticketsOf: async (keys, resolvedSince) => {
        const out: TicketTable[] = [];
        for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
          const chunk = keys.slice(i, i + KEYS_PER_QUERY);
          this.counters.statements++;
          const rows = this.prepared(
            `SELECT * FROM tickets WHERE dedup_key IN (${chunk.map(() => '?').join(', ')})
               AND (status NOT IN ('resolved', 'closed') OR (status = 'resolved' AND resolved_at >= ?))`,
          ).all(...chunk, resolvedSince) as TicketTable[];
          out.push(...rows);
        }
        return out;
      },
      write: async (w: GroupWrite) => {
        this.insert(TICKET_INSERT, w.ticketInserts);
        this.update(TICKET_UPDATE, w.ticketUpdates);
        this.insert(TICKET_EVENT_INSERT, w.ticketEvents);
        this.insert(DELIVERY_INSERT, w.deliveries);
        this.insert(CHECK_STATE_UPSERT, w.checkStates);
        this.insert(STREAM_UPSERT, w.streams);
        this.insert(SEEN_INSERT, w.seen);
      },
      writeBehind: async (w: BehindWrite) => {
        this.insert(CHECK_STATE_UPSERT, w.checkStates);
        this.update(AGENT_SEEN_UPDATE, w.agents);
      },
    };
  }

  private insert<R>(spec: InsertSpec<R>, rows: readonly R[]): void {
    const cols = spec.columns.map(([c]) => c);
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
      const args: Value[] = [];
      for (const r of chunk) for (const c of cols) args.push(value((r as Row)[c]));
      this.counters.statements++;
      this.prepared(insertSql(spec as InsertSpec<never>, chunk.length)).run(...args);
    }
  }

  private update<R>(spec: UpdateSpec<R>, rows: readonly R[]): void {
    if (rows.length === 0) return;
    const [key] = spec.key;
    const sql = `UPDATE ${spec.table} SET ${spec.set.map(([c]) => `${c} = ?`).join(', ')} WHERE ${key} = ?`;
    const stmt = this.prepared(sql);
    for (const r of rows) {
      this.counters.statements++;
      stmt.run(...spec.set.map(([c]) => value((r as Row)[c])), value((r as Row)[key]));
    }
  }
}
