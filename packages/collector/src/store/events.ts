// Events the agents report about themselves (e.g. results dropped from a full outbox).
import type { Db } from './open.js';
import type { AgentEventTable } from './schema.js';

export async function insertAgentEvent(db: Db, row: AgentEventTable): Promise<boolean> {
  const r = await db
    .insertInto('agent_events')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function listAgentEvents(
  db: Db,
  tenantId: string | null,
  host?: string,
): Promise<AgentEventTable[]> {
  let q = db.selectFrom('agent_events').selectAll().orderBy('at', 'desc').limit(500);
  if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
  if (host) q = q.where('host', '=', host);
  return q.execute();
}
