// Host fingerprints as received from the agents' drift checks.
import type { Db } from './open.js';
import type { DriftSnapshotTable } from './schema.js';

export async function insertSnapshot(db: Db, row: DriftSnapshotTable): Promise<boolean> {
  const r = await db
    .insertInto('drift_snapshots')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}
