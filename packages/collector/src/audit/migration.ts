// The audit log table (part of migration 0008_tma_contract): who did what on a tenant's data, when and from
// where. Identical reads in a row are one entry with a count, so a page that refreshes does not flood it.
import type { Kysely, Migration } from 'kysely';
import type { Db } from '../store/open.js';
import type { Database } from '../store/schema.js';

export interface AuditEntryTable {
  id: string;
  tenant_id: string;
  /** First and last time of the action; `count` times in between (reads only; a write is always one). */
  at: string;
  last_at: string;
  count: number;
  /** `key:<name>` for an API key, `cli:<user>@<machine>` for the command line. */
  actor: string;
  /** The API key id, when an API key acted (the id, never the key). */
  key_id: string | null;
  /** e.g. `GET /api/reports/:id`, `tenant.export` */
  action: string;
  /** What was acted on: the URL path with its query, or a file for exports. */
  target: string;
  status: number;
  /** Where from: the client IP address, or `local` for the command line. */
  source: string;
  user_agent: string;
}

export type AuditTables = { audit_log: AuditEntryTable };
export type AuditDb = Kysely<Database & AuditTables>;

export function auditDb(db: Db): AuditDb {
  return db.withTables<AuditTables>();
}

export const auditMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('last_at', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('user_agent', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('audit_log_tenant')
      .on('audit_log')
      .columns(['tenant_id', 'last_at'])
      .execute();
  },
};
