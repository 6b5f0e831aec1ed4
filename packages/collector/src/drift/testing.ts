// For tests: the drift tables on a fresh store, whether or not the store's migrations already include them.
import type { Kysely } from 'kysely';
import type { Db } from '../store/open.js';
import { driftMigration } from './migration.js';

/** Runs driftMigration on the store unless its tables exist (once the store registers it as 0005_drift). */
export async function ensureDriftTables(db: Db): Promise<void> {
  const tables = await db.introspection.getTables();
  if (tables.some((t) => t.name === 'drift_baselines')) return;
  await driftMigration.up(db as Kysely<unknown>);
}
