// The drift tables (registered by the store as migration 0005_drift): approved baselines, when each item's
// current value was first seen, per-application parity ignore patterns, and the last parity state synced to
// each drift ticket. Snapshots themselves stay in `drift_snapshots` (migration 0001).
import type { Kysely, Migration } from 'kysely';
import type { Db } from '../store/open.js';
import type { Database } from '../store/schema.js';

/** A host's approved baseline: the snapshot an operator approved, with its resolved item set. */
export interface DriftBaselineTable {
  tenant_id: string;
  host: string;
  /** `drift_snapshots.id` of the approved snapshot. */
  snapshot_id: string;
  /** `taken_at` of the approved snapshot. */
  taken_at: string;
  approved_at: string;
  /** Who approved: `key:<name>` for an API key. */
  approved_by: string;
  /**
   * The host's whole item set as of the approved snapshot (JSON object), kept so that the baseline survives
   * the pruning of old snapshots and does not need the chain of deltas to be resolved again. A value under a
   * secret-looking name that the agent did not hash is kept only as a digest (rules.ts, protectValue).
   */
  items: string;
}

/**
 * Since when each item of a host holds its current value: one row per (tenant, host, item). The value is
 * kept as a SHA-256 digest (fixed size, never the clear value); null means the item is absent since then.
 */
export interface DriftItemSeenTable {
  tenant_id: string;
  host: string;
  item: string;
  value_sha256: string | null;
  first_seen_at: string;
}

/** Ignore patterns of an application's parity report, on top of the default ones. */
export interface DriftParityIgnoreTable {
  tenant_id: string;
  application: string;
  /** JSON array of glob patterns (`*` matches any characters). */
  patterns: string;
  updated_at: string;
  updated_by: string;
}

/** What was last applied to the drift ticket of (application, environment), so unchanged reports do not touch it. */
export interface DriftParityStateTable {
  tenant_id: string;
  application: string;
  environment: string;
  status: string;
  /** SHA-256 of the critical and warning differences. */
  digest: string;
  updated_at: string;
}

/** A type, not an interface: Kysely's `withTables` needs an indexable map of tables. */
export type DriftTables = {
  drift_baselines: DriftBaselineTable;
  drift_items_seen: DriftItemSeenTable;
  drift_parity_ignores: DriftParityIgnoreTable;
  drift_parity_state: DriftParityStateTable;
};

export type DriftDb = Kysely<Database & DriftTables>;

/** The store's database seen with the drift tables too. */
export function driftDb(db: Db): DriftDb {
  return db.withTables<DriftTables>();
}

export const driftMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('drift_baselines')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('snapshot_id', 'text', (c) => c.notNull())
      .addColumn('taken_at', 'text', (c) => c.notNull())
      .addColumn('approved_at', 'text', (c) => c.notNull())
      .addColumn('approved_by', 'text', (c) => c.notNull())
      .addColumn('items', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('drift_baselines_pk', ['tenant_id', 'host'])
      .execute();
    await db.schema
      .createTable('drift_items_seen')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('item', 'text', (c) => c.notNull())
      .addColumn('value_sha256', 'text')
      .addColumn('first_seen_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('drift_items_seen_pk', ['tenant_id', 'host', 'item'])
      .execute();
    await db.schema
      .createTable('drift_parity_ignores')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('application', 'text', (c) => c.notNull())
      .addColumn('patterns', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('drift_parity_ignores_pk', ['tenant_id', 'application'])
      .execute();
    await db.schema
      .createTable('drift_parity_state')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('application', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('drift_parity_state_pk', ['tenant_id', 'application', 'environment'])
      .execute();
    // Snapshots of a host by check, for resolving the latest full snapshot and its deltas.
    await db.schema
      .createIndex('drift_snapshots_host_check')
      .on('drift_snapshots')
      .columns(['tenant_id', 'host', 'check_id', 'taken_at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('drift_snapshots_host_check').execute();
    for (const t of ['drift_parity_state', 'drift_parity_ignores', 'drift_items_seen', 'drift_baselines'])
      await db.schema.dropTable(t).execute();
  },
};
