// Idempotency and last-known state: which result ids were already handled, and each check's latest status.
import type { Db } from './open.js';
import type { CheckStateTable } from './schema.js';

/** The ids among `ids` that were already handled. */
export async function seenResultIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('seen_results')
    .select('result_id')
    .where('result_id', 'in', ids)
    .execute();
  return new Set(rows.map((r) => r.result_id));
}

/** Marks ids as handled; returns those that were not marked before (the authoritative dedupe). */
export async function markResultsSeen(
  db: Db,
  tenantId: string,
  ids: string[],
  now: Date,
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const at = now.toISOString();
  const rows = await db
    .insertInto('seen_results')
    .values(ids.map((id) => ({ result_id: id, tenant_id: tenantId, received_at: at })))
    .onConflict((oc) => oc.column('result_id').doNothing())
    .returning('result_id')
    .execute();
  return new Set(rows.map((r) => r.result_id));
}

/** Forgets handled ids older than `before`; replays older than that window are no longer recognised. */
export async function pruneSeenResults(db: Db, before: Date): Promise<number> {
  const r = await db
    .deleteFrom('seen_results')
    .where('received_at', '<', before.toISOString())
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function getCheckState(
  db: Db,
  tenantId: string,
  host: string,
  checkId: string,
): Promise<CheckStateTable | undefined> {
  return db
    .selectFrom('check_states')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('host', '=', host)
    .where('check_id', '=', checkId)
    .executeTakeFirst();
}

export async function saveCheckState(db: Db, row: CheckStateTable): Promise<void> {
  const { tenant_id: _tenant, host: _host, check_id: _check, ...rest } = row;
  await db
    .insertInto('check_states')
    .values(row)
    .onConflict((oc) => oc.columns(['tenant_id', 'host', 'check_id']).doUpdateSet(rest))
    .execute();
}
