// Decommissioning a host: its credentials are revoked (it is disconnected), silence detection stops, its open
// tickets are resolved with the reason in their timelines, and its history (results, tickets, snapshots) stays.
import type { Db } from '../store/open.js';
import type { AgentTable, TicketTable } from '../store/schema.js';
import { CLOSED_STATUSES } from '../store/tickets.js';
import { timelineEvent } from '../tickets/apply.js';

export interface Decommissioned {
  agent: AgentTable;
  /** Agent tokens revoked now: their connections are to be closed. */
  tokenIds: string[];
  /** Tickets resolved by the decommissioning. */
  resolved: TicketTable[];
}

export async function decommissionHost(
  db: Db,
  agent: AgentTable,
  actor: string,
  deps: { now: () => Date; newId: () => string },
): Promise<Decommissioned> {
  const at = deps.now().toISOString();
  const tokens = await db
    .selectFrom('agent_tokens')
    .select('id')
    .where('tenant_id', '=', agent.tenant_id)
    .where((eb) => eb.or([eb('host', '=', agent.host), eb('id', '=', agent.token_id)]))
    .where('revoked_at', 'is', null)
    .execute();
  const tokenIds = tokens.map((t) => t.id);
  if (tokenIds.length > 0)
    await db.updateTable('agent_tokens').set({ revoked_at: at }).where('id', 'in', tokenIds).execute();
  await db
    .updateTable('agents')
    .set({ decommissioned_at: at, decommissioned_by: actor })
    .where('id', '=', agent.id)
    .execute();
  const open = await db
    .selectFrom('tickets')
    .selectAll()
    .where('tenant_id', '=', agent.tenant_id)
    .where('host', '=', agent.host)
    .where('status', 'not in', CLOSED_STATUSES)
    .execute();
  const resolved: TicketTable[] = [];
  for (const t of open) {
    await db
      .updateTable('tickets')
      .set({ status: 'resolved', resolved_at: at, updated_at: at, waiting_since: null })
      .where('id', '=', t.id)
      .execute();
    await timelineEvent(db, deps, t.id, 'resolved', actor, { reason: 'host decommissioned' });
    resolved.push({ ...t, status: 'resolved', resolved_at: at, updated_at: at });
  }
  return {
    agent: { ...agent, decommissioned_at: at, decommissioned_by: actor },
    tokenIds,
    resolved,
  };
}
