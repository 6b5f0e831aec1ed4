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

export async function latestSnapshot(
  db: Db,
  tenantId: string,
  host: string,
): Promise<DriftSnapshotTable | undefined> {
  return db
    .selectFrom('drift_snapshots')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('host', '=', host)
    .orderBy('taken_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}
