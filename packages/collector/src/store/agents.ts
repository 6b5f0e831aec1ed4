// Agents: one row per (tenant, host), refreshed at each hello and each batch.
import type { Hello } from '@vigie/shared';
import type { Db } from './open.js';
import type { AgentTable, CheckStateTable } from './schema.js';

export async function upsertAgent(
  db: Db,
  params: {
    id: string;
    tenantId: string;
    tokenId: string;
    agent: Hello['agent'];
    now: Date;
    protocol?: number;
    clockSkewMs?: number | null;
  },
): Promise<AgentTable> {
  const at = params.now.toISOString();
  const row: AgentTable = {
    id: params.id,
    tenant_id: params.tenantId,
    token_id: params.tokenId,
    host: params.agent.host,
    environment: params.agent.environment,
    application: params.agent.application,
    version: params.agent.version,
    first_seen: at,
    last_seen: at,
    protocol_version: params.protocol ?? null,
    clock_skew_ms: params.clockSkewMs ?? null,
  };
  await db
    .insertInto('agents')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'host']).doUpdateSet({
        token_id: row.token_id,
        environment: row.environment,
        application: row.application,
        version: row.version,
        last_seen: at,
        protocol_version: row.protocol_version,
        clock_skew_ms: row.clock_skew_ms,
        // Enrolled again after being decommissioned: back in service.
        decommissioned_at: null,
        decommissioned_by: null,
      }),
    )
    .execute();
  return (await db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', params.tenantId)
    .where('host', '=', params.agent.host)
    .executeTakeFirst()) as AgentTable;
}

export async function touchAgent(db: Db, agentId: string, now: Date): Promise<void> {
  await db.updateTable('agents').set({ last_seen: now.toISOString() }).where('id', '=', agentId).execute();
}

export async function listAgents(db: Db, tenantId: string | null): Promise<AgentTable[]> {
  let q = db.selectFrom('agents').selectAll().orderBy('tenant_id').orderBy('host');
  if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
  return q.execute();
}

export async function listCheckStates(db: Db, tenantId: string | null): Promise<CheckStateTable[]> {
  let q = db.selectFrom('check_states').selectAll().orderBy('host').orderBy('check_id');
  if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
  return q.execute();
}

/** The applications a tenant's agents belong to, by name. */
export async function listApplications(db: Db, tenantId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('agents')
    .select('application')
    .distinct()
    .where('tenant_id', '=', tenantId)
    .orderBy('application')
    .execute();
  return rows.map((r) => r.application);
}
