// The agent event handler: what an agent reports about itself (e.g. results dropped at its outbox bound) is
// logged, counted and stored per host, then acked.
import { type AgentEvent, ErrorCode } from '@vigie/shared';
import { insertAgentEvent } from '../store/events.js';
import type { Connection, HandlerContext } from './connection.js';
import type { AgentSession } from './pipeline.js';

export async function onEvent(
  ctx: HandlerContext,
  conn: Connection,
  session: AgentSession,
  msg: AgentEvent,
): Promise<void> {
  const { deps } = ctx;
  deps.telemetry.agentEvents({ kind: msg.kind });
  deps.log.warn(
    { tenant: session.tenantId, host: session.host, kind: msg.kind, details: msg.details },
    'agent event',
  );
  try {
    await insertAgentEvent(deps.db, {
      id: `${session.tenantId}:${msg.eventId}`,
      tenant_id: session.tenantId,
      host: session.host,
      kind: msg.kind,
      at: msg.at,
      details: JSON.stringify(msg.details),
      received_at: deps.now().toISOString(),
    });
    ctx.send(conn, { v: conn.protocol, type: 'ack', batchId: msg.eventId, accepted: 1, duplicates: 0 });
  } catch (err) {
    deps.log.error({ host: session.host, err: (err as Error).message }, 'agent event not stored');
    ctx.error(conn, ErrorCode.internal, 'event not stored, send it again later', msg.eventId);
  }
}
