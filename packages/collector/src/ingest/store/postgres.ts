// The ingest hot path on PostgreSQL: one statement per table per group, each taking its rows as arrays
// (`unnest`), so the statement text never changes with the row count and is prepared once per connection.
import type pg from 'pg';
import type { CheckStateTable, TicketTable } from '../../store/schema.js';
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

type Value = string | number | null;

function value(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 1 : 0;
  return JSON.stringify(v);
}

function insertSql(spec: InsertSpec<never>): string {
  const cols = spec.columns.map(([c]) => c);
  const arrays = spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  let sql = `INSERT INTO ${spec.table} (${cols.join(', ')}) SELECT * FROM unnest(${arrays})`;
  if (spec.conflict?.action === 'ignore')
    sql += ` ON CONFLICT (${spec.conflict.target.join(', ')}) DO NOTHING`;
  if (spec.conflict?.action === 'update') {
    sql += ` ON CONFLICT (${spec.conflict.target.join(', ')}) DO UPDATE SET ${spec.conflict.set
      .map((c) => `${c} = excluded.${c}`)
      .join(', ')}`;
  }
  return sql;
}

function updateSql(spec: UpdateSpec<never>): string {
  const cols = [spec.key, ...spec.set];
  const arrays = cols.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  return `UPDATE ${spec.table} AS t SET ${spec.set.map(([c]) => `${c} = u.${c}`).join(', ')}
    FROM unnest(${arrays}) AS u(${cols.map(([c]) => c).join(', ')}) WHERE t.${spec.key[0]} = u.${spec.key[0]}`;
}

/** Statement names are per connection in PostgreSQL; pg prepares a named statement on first use on each. */
const SQL = {
  tickets:
    "SELECT * FROM tickets WHERE dedup_key = ANY($1::text[]) AND (status NOT IN ('resolved', 'closed') OR (status = 'resolved' AND resolved_at >= $2)) FOR UPDATE",
  checks: 'SELECT * FROM check_states WHERE tenant_id = $1 AND host = $2',
  stream: 'SELECT high_water FROM ingest_streams WHERE tenant_id = $1 AND host = $2 AND epoch = $3',
  seen: 'SELECT result_id FROM seen_results WHERE result_id = ANY($1::text[])',
  fence: `WITH t AS (SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now)
    UPDATE host_leases h SET expires_at = t.now + $2
    FROM t, unnest($3::text[], $4::text[], $5::bigint[]) AS k(tenant_id, host, generation)
    WHERE h.owner = $1 AND h.tenant_id = k.tenant_id AND h.host = k.host AND h.acquired_at = k.generation
      AND h.expires_at > t.now
    RETURNING h.tenant_id, h.host`,
};

/** Rows with the same key in one statement would make ON CONFLICT DO UPDATE fail: keep the last of each. */
function lastByKey<R>(rows: readonly R[], key: (r: R) => string): R[] {
  const m = new Map<string, R>();
  for (const r of rows) m.set(key(r), r);
  return m.size === rows.length ? [...rows] : [...m.values()];
}

export class PostgresIngestStore implements IngestStore {
  readonly dialect = 'postgres';
  readonly counters = { statements: 0, transactions: 0 };
  private lane: Promise<unknown> = Promise.resolve();

  /**
   * @param fence With several collectors: this one's instance id and the lease time to live, to check (and
   *   renew) its host leases in every transaction. Without: a lone collector, owner of every host.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly fencing?: { owner: string; ttlMs: number },
  ) {}

  private async query<R extends pg.QueryResultRow>(
    client: pg.Pool | pg.PoolClient,
    name: string,
    text: string,
    values: unknown[],
  ): Promise<R[]> {
    this.counters.statements++;
    return (await client.query<R>({ name, text, values })).rows;
  }

  async loadHost(tenantId: string, host: string, epoch: string | undefined): Promise<HostRecord> {
    const checks = await this.query<CheckStateTable>(this.pool, 'ingest_checks', SQL.checks, [
      tenantId,
      host,
    ]);
    const stream = epoch
      ? await this.query<{ high_water: string }>(this.pool, 'ingest_stream', SQL.stream, [
          tenantId,
          host,
          epoch,
        ])
      : [];
    return { checks, highWater: stream[0] ? Number(stream[0].high_water) : undefined };
  }

  async seenIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.query<{ result_id: string }>(this.pool, 'ingest_seen', SQL.seen, [ids]);
    return new Set(rows.map((r) => r.result_id));
  }

  transaction<T>(fn: (tx: IngestTx) => Promise<T>): Promise<T> {
    const run = this.lane.then(async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        this.counters.transactions++;
        this.counters.statements++;
        await client.query('BEGIN');
        try {
          const out = await fn(this.tx(client));
          this.counters.statements++;
          await client.query('COMMIT');
          return out;
        } catch (err) {
          this.counters.statements++;
          await client.query('ROLLBACK').catch((e: Error) => {
            broken = e;
          });
          throw err;
        }
      } finally {
        // A connection whose rollback failed is in an unknown state: the pool must not hand it out again.
        client.release(broken);
      }
    });
    this.lane = run.catch(() => undefined);
    return run;
  }

  private tx(client: pg.PoolClient): IngestTx {
    return {
      fence: async (hosts) => {
        if (!this.fencing || hosts.length === 0) return new Set(hosts.map((h) => h.key));
        const tenants: string[] = [];
        const names: string[] = [];
        const generations: number[] = [];
        for (const { key, generation } of hosts) {
          const at = key.indexOf('/');
          tenants.push(key.slice(0, at));
          names.push(key.slice(at + 1));
          generations.push(generation);
        }
        const rows = await this.query<{ tenant_id: string; host: string }>(
          client,
          'ingest_fence',
          SQL.fence,
          [this.fencing.owner, this.fencing.ttlMs, tenants, names, generations],
        );
        return new Set(rows.map((r) => `${r.tenant_id}/${r.host}`));
      },
      ticketsOf: async (keys, resolvedSince) =>
        keys.length === 0
          ? []
          : this.query<TicketTable>(client, 'ingest_tickets', SQL.tickets, [keys, resolvedSince]),
      write: async (w: GroupWrite) => {
        await this.insert(client, 'ingest_ticket_ins', TICKET_INSERT, w.ticketInserts);
        await this.update(client, 'ingest_ticket_upd', TICKET_UPDATE, w.ticketUpdates);
        await this.insert(client, 'ingest_event_ins', TICKET_EVENT_INSERT, w.ticketEvents);
        await this.insert(client, 'ingest_delivery_ins', DELIVERY_INSERT, w.deliveries);
        await this.insert(
          client,
          'ingest_state_ups',
          CHECK_STATE_UPSERT,
          lastByKey(w.checkStates, (r) => `${r.tenant_id}\u0000${r.host}\u0000${r.check_id}`),
        );
        await this.insert(
          client,
          'ingest_stream_ups',
          STREAM_UPSERT,
          lastByKey(w.streams, (r) => `${r.tenant_id}\u0000${r.host}\u0000${r.epoch}`),
        );
        await this.insert(client, 'ingest_seen_ins', SEEN_INSERT, w.seen);
      },
      writeBehind: async (w: BehindWrite) => {
        await this.insert(
          client,
          'ingest_state_ups',
          CHECK_STATE_UPSERT,
          lastByKey(w.checkStates, (r) => `${r.tenant_id}\u0000${r.host}\u0000${r.check_id}`),
        );
        await this.update(
          client,
          'ingest_agent_upd',
          AGENT_SEEN_UPDATE,
          lastByKey(w.agents, (a) => a.id),
        );
      },
    };
  }

  private async insert<R>(client: pg.PoolClient, name: string, spec: InsertSpec<R>, rows: readonly R[]) {
    if (rows.length === 0) return;
    const arrays = spec.columns.map(([c]) => rows.map((r) => value((r as Row)[c])));
    await this.query(client, name, insertSql(spec as InsertSpec<never>), arrays);
  }

  private async update<R>(client: pg.PoolClient, name: string, spec: UpdateSpec<R>, rows: readonly R[]) {
    if (rows.length === 0) return;
    const arrays = [spec.key, ...spec.set].map(([c]) => rows.map((r) => value((r as Row)[c])));
    await this.query(client, name, updateSql(spec as UpdateSpec<never>), arrays);
  }
}
