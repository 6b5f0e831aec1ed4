// Migration 0009: the provider's daily operations. One migration (a reserved number) for the tables and columns
// of several feature folders: maintenance windows and silences (maintenance/), parity review decisions
// (drift/decisions.ts), and the lifecycle of tenants, hosts and API keys (lifecycle/): archived tenants with
// their display time zone and language, decommissioned hosts, read-only client keys and each key's language.
import type { Kysely, Migration } from 'kysely';

export const operationsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const add = async (table: string, column: string, dflt?: string) => {
      await db.schema
        .alterTable(table)
        .addColumn(column, 'text', (c) => (dflt === undefined ? c : c.notNull().defaultTo(dflt)))
        .execute();
    };
    await add('tenants', 'archived_at');
    await add('tenants', 'archived_by');
    await add('tenants', 'time_zone');
    await add('tenants', 'locale');
    await add('agents', 'decommissioned_at');
    await add('agents', 'decommissioned_by');
    // Existing keys keep what they could do; a new read-only client key is made with role 'client'.
    await add('api_keys', 'role', 'provider');
    await add('api_keys', 'locale');
    await db.schema
      .createTable('maintenance_windows')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('application', 'text')
      .addColumn('host', 'text')
      .addColumn('check_id', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('starts_at', 'text', (c) => c.notNull())
      .addColumn('ends_at', 'text')
      .addColumn('recurrence', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('cancelled_at', 'text')
      .addColumn('cancelled_by', 'text')
      .execute();
    await db.schema
      .createIndex('maintenance_windows_tenant')
      .on('maintenance_windows')
      .columns(['tenant_id', 'starts_at'])
      .execute();
    await db.schema
      .createTable('parity_decisions')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('application', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('item', 'text', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('production_sha256', 'text')
      .addColumn('other_sha256', 'text')
      .addColumn('decided_by', 'text', (c) => c.notNull())
      .addColumn('decided_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('parity_decisions_pk', ['tenant_id', 'application', 'environment', 'item'])
      .execute();
  },
};
