// The drift snapshot handler: stores a host fingerprint (full, or changes since a base), acks it, tells the
// drift service about a new one, and asks the agent for a full one when a delta's base is missing.
import type { DriftSnapshot } from '@vigie/shared';
import { ErrorCode } from '@vigie/shared';
import { encodeSnapshotItems, findSnapshot } from '../drift/snapshots.js';
import { insertSnapshot } from '../store/drift.js';
import type { Connection, HandlerContext } from './connection.js';
import type { AgentSession } from './pipeline.js';

export async function onSnapshot(
  ctx: HandlerContext,
  conn: Connection,
  session: AgentSession,
  msg: DriftSnapshot,
): Promise<void> {
  const { deps } = ctx;
  try {
    const stored = await insertSnapshot(deps.db, {
      id: `${session.tenantId}:${msg.snapshotId}`,
      tenant_id: session.tenantId,
      host: session.host,
      check_id: msg.checkId,
      taken_at: msg.takenAt,
      full: msg.full ? 1 : 0,
      items: encodeSnapshotItems(msg),
      received_at: deps.now().toISOString(),
    });
    ctx.send(conn, {
      v: conn.protocol,
      type: 'ack',
      batchId: msg.snapshotId,
      accepted: stored ? 1 : 0,
      duplicates: stored ? 0 : 1,
    });
    if (stored) deps.onSnapshotStored?.(session);
    if (!msg.full && !(await hasBase(ctx, session, msg))) {
      ctx.send(conn, {
        v: conn.protocol,
        type: 'snapshot.request',
        checkId: msg.checkId,
        reason: `no snapshot ${msg.baseSnapshotId ?? '(none named)'} to apply these changes to`,
      });
    }
  } catch (err) {
    deps.log.error({ host: session.host, err: (err as Error).message }, 'snapshot not stored');
    ctx.error(conn, ErrorCode.internal, 'snapshot not stored, send it again later', msg.snapshotId);
  }
}

/** Whether the snapshot a delta applies to was received (it may be lost with an agent's outbox bound). */
async function hasBase(ctx: HandlerContext, session: AgentSession, msg: DriftSnapshot): Promise<boolean> {
  if (!msg.baseSnapshotId) return false;
  return (await findSnapshot(ctx.deps.db, session.tenantId, session.host, msg.baseSnapshotId)) !== undefined;
}
