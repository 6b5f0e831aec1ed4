// The results handler: size and rate limits, admission (backpressure), then the batch joins the group commit
// behind the host's earlier work; acked once committed, or answered with an error saying when to send it
// again (the agent keeps it: nothing is lost).
import { CloseCode, ErrorCode, type ResultsBatch } from '@vigie/shared';
import type { Connection, HandlerContext } from './connection.js';
import { type AgentSession, StageError } from './pipeline.js';
import { LeaseLostError } from './record.js';

export async function onResults(
  ctx: HandlerContext,
  conn: Connection,
  session: AgentSession,
  msg: ResultsBatch,
): Promise<void> {
  const { deps, options } = ctx;
  const t = deps.telemetry;
  if (msg.results.length > options.maxBatch) {
    ctx.reject(
      conn,
      ErrorCode.batchTooLarge,
      `/results: ${msg.results.length} results in one batch; the limit is ${options.maxBatch}`,
      CloseCode.policyViolation,
    );
    return;
  }
  const waitMs = takeTokens(conn, options.rateLimit, msg.results.length);
  if (waitMs > 0) {
    t.ingestErrors({ code: ErrorCode.rateLimited });
    ctx.error(
      conn,
      ErrorCode.rateLimited,
      `over ${options.rateLimit.resultsPerSecond} results per second; send this batch again later`,
      msg.batchId,
      waitMs,
    );
    return;
  }
  const admission = deps.committer.admit(msg.results.length);
  if (!admission.ok) {
    t.ingestErrors({ code: ErrorCode.overloaded });
    ctx.error(
      conn,
      ErrorCode.overloaded,
      `${admission.reason}; send this batch again later`,
      msg.batchId,
      admission.retryAfterMs,
    );
    return;
  }
  const host = conn.host;
  if (!host) return;
  const receivedAt = deps.now().getTime();
  const t0 = performance.now();
  try {
    const batch = await host.serial(() =>
      deps.committer.submit({
        session,
        host,
        batchId: msg.batchId,
        results: msg.results,
        receivedAt,
        sentAt: msg.v === 2 ? Date.parse(msg.sentAt) : undefined,
      }),
    );
    t.resultsAccepted({}, batch.accepted.length);
    t.resultsDuplicate({}, batch.duplicates);
    t.batches();
    for (const e of batch.effects) {
      if (e.kind === 'opened') t.ticketsOpened();
      if (e.kind === 'resolved') t.ticketsResolved();
    }
    ctx.send(conn, {
      v: conn.protocol,
      type: 'ack',
      batchId: msg.batchId,
      accepted: batch.accepted.length,
      duplicates: batch.duplicates,
    });
    if (batch.effects.length > 0 || batch.accepted.length > 0)
      deps.onEffects?.(batch.effects, session.host, session.tenantId);
  } catch (err) {
    // Not acked: the agent keeps the batch and sends it again; nothing is lost.
    const cause = err instanceof StageError ? err.cause : err;
    if (cause instanceof LeaseLostError) {
      // Another collector owns the host now: this session must go, and the agent connect again.
      ctx.reject(conn, ErrorCode.hostBusy, cause.message, CloseCode.tryAgainLater);
      return;
    }
    t.ingestErrors({ code: ErrorCode.internal });
    if (err instanceof StageError && err.stage === 'persist-metrics') t.sinkFailures();
    deps.log.error(
      { host: session.host, batchId: msg.batchId, err: (err as Error).message },
      'batch not handled',
    );
    ctx.error(
      conn,
      ErrorCode.internal,
      `batch not handled, send it again later: ${(err as Error).message}`,
      msg.batchId,
    );
  } finally {
    t.batchSeconds({}, (performance.now() - t0) / 1000);
  }
}

/**
 * Token bucket per agent: refills at the sustained rate, holds at most the burst. Returns 0 when the batch
 * may pass, else how long until it could (ms). A batch larger than the burst passes when the bucket is full,
 * and leaves it in debt.
 */
function takeTokens(conn: Connection, limit: { resultsPerSecond: number; burst: number }, n: number): number {
  const now = performance.now();
  const b = conn.bucket;
  b.tokens = Math.min(limit.burst, b.tokens + ((now - b.at) / 1000) * limit.resultsPerSecond);
  b.at = now;
  const need = Math.min(n, limit.burst);
  if (b.tokens < need) return Math.ceil(((need - b.tokens) / limit.resultsPerSecond) * 1000);
  b.tokens -= n;
  return 0;
}
