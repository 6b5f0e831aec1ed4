// The ingest's tables (registered as migration 0006_ingest_streams): per agent stream (an outbox epoch), the
// highest result sequence number handled, which makes idempotency cost one row per agent instead of one per
// result; and on agents, the clock skew measured at hello and on each batch.
import type { Kysely, Migration } from 'kysely';
import type { Database } from '../store/schema.js';

/** A type, not an interface: Kysely's `withTables` needs an indexable map of tables. */
export type IngestTables = {
  ingest_streams: IngestStreamTable;
};

export interface IngestStreamTable {
  tenant_id: string;
  host: string;
  /** The agent's outbox epoch (a new outbox folder starts a new epoch, with sequence numbers from 1). */
  epoch: string;
  /** Every result of this epoch with a sequence number at or below this one was handled. */
  high_water: number;
  updated_at: string;
}

export const ingestMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('ingest_streams')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('epoch', 'text', (c) => c.notNull())
      .addColumn('high_water', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('ingest_streams_pk', ['tenant_id', 'host', 'epoch'])
      .execute();
    await db.schema.alterTable('agents').addColumn('clock_skew_ms', 'bigint').execute();
    await db.schema.alterTable('agents').addColumn('protocol_version', 'integer').execute();
  },
};

/** Forgets stream marks not moved since `before`: an agent silent that long has no replay left to send. */
export async function pruneStreams(db: Kysely<Database>, before: Date): Promise<number> {
  const r = await db
    .withTables<IngestTables>()
    .deleteFrom('ingest_streams')
    .where('updated_at', '<', before.toISOString())
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
