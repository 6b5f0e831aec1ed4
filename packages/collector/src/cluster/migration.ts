// The cluster's table (registered as migration 0011_cluster): who owns each host's hot state. Several
// collectors on one PostgreSQL coordinate through it; a lone collector on SQLite never needs it.
import type { Kysely, Migration } from 'kysely';

/** A type, not an interface: Kysely's `withTables` needs an indexable map of tables. */
export type ClusterTables = {
  host_leases: HostLeaseTable;
};

export interface HostLeaseTable {
  tenant_id: string;
  host: string;
  /** The collector instance that holds the host's session and state. */
  owner: string;
  /** Milliseconds since the epoch, on the database's clock: past it, another collector may take the host. */
  expires_at: number;
  acquired_at: number;
}

export const clusterMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('host_leases')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('acquired_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('host_leases_pk', ['tenant_id', 'host'])
      .execute();
    await db.schema.createIndex('host_leases_owner').on('host_leases').column('owner').execute();
  },
};
