// The hello handler: binds a host-less token to its first host, refuses another host, registers the agent,
// replaces an older session of the same host (one session per host credential), loads the host's state and
// stream mark, measures the agent's clock skew, and welcomes it in the protocol version it spoke.
import { CloseCode, ErrorCode, type Hello } from '@vigie/shared';
import { upsertAgent } from '../store/agents.js';
import { bindTokenHost } from '../store/credentials.js';
import type { Connection, HandlerContext } from './connection.js';
import type { HostState } from './host-state.js';

export async function onHello(ctx: HandlerContext, conn: Connection, hello: Hello): Promise<void> {
  const { deps, options } = ctx;
  const { token } = conn;
  if (conn.session) {
    ctx.reject(
      conn,
      ErrorCode.invalidMessage,
      'hello was already received on this connection',
      CloseCode.policyViolation,
    );
    return;
  }
  // A token without a host is bound to the host of its first hello: it can never speak for another one.
  if (token.host === null) {
    try {
      if (await bindTokenHost(deps.db, token.id, hello.agent.host)) token.host = hello.agent.host;
    } catch (err) {
      deps.log.error({ err: (err as Error).message }, 'cannot bind the token to its host');
      ctx.reject(
        conn,
        ErrorCode.internal,
        'collector cannot register the agent now',
        CloseCode.internalError,
      );
      return;
    }
  }
  if (token.host !== hello.agent.host) {
    ctx.reject(
      conn,
      ErrorCode.hostMismatch,
      `this token may only report for host "${token.host}", not "${hello.agent.host}"`,
      CloseCode.policyViolation,
    );
    return;
  }
  const now = deps.now();
  let host: HostState;
  const epoch = hello.v === 2 ? hello.stream.epoch : undefined;
  const skewMs = hello.v === 2 ? Date.parse(hello.sentAt) - now.getTime() : null;
  try {
    const agent = await upsertAgent(deps.db, {
      id: deps.newId(),
      tenantId: token.tenant_id,
      tokenId: token.id,
      agent: hello.agent,
      now,
      protocol: hello.v,
      clockSkewMs: skewMs,
    });
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    // One session per host on this collector: a newer one replaces the older.
    const previous = ctx.sessionOf(token.tenant_id, hello.agent.host);
    if (previous && previous !== conn) {
      deps.log.warn(
        { tenant: token.tenant_id, host: hello.agent.host, old: previous.remote, new: conn.remote },
        'a second session for the host replaces the first; is the agent running twice?',
      );
      ctx.reject(
        previous,
        ErrorCode.sessionReplaced,
        `a newer session of host "${hello.agent.host}" (from ${conn.remote}) replaced this one`,
        CloseCode.sessionReplaced,
      );
    }
    // One owner per host across collectors: wait for another one to let it go; then the host's state.
    const closed = new AbortController();
    conn.ws.once('close', () => closed.abort());
    const opened = await ctx.openHost({ tenantId: token.tenant_id, host: agent.host }, epoch, closed.signal);
    if (!opened.ok) {
      ctx.reject(conn, ErrorCode.hostBusy, `${opened.reason}; connect again later`, CloseCode.tryAgainLater);
      return;
    }
    host = opened.host;
    // From here the connection's end gives the host up again (see the gateway's endSession).
    conn.host = host;
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    host.agentId = agent.id;
    if (skewMs !== null) host.clockSkewMs = skewMs;
    conn.protocol = hello.v;
    conn.session = {
      sessionId: deps.newId(),
      tenantId: token.tenant_id,
      tokenId: token.id,
      agentId: agent.id,
      host: agent.host,
      environment: agent.environment,
      application: agent.application,
      protocol: hello.v,
      epoch,
    };
  } catch (err) {
    deps.log.error({ err: (err as Error).message }, 'cannot register agent');
    ctx.reject(conn, ErrorCode.internal, 'collector cannot register the agent now', CloseCode.internalError);
    return;
  }
  ctx.claimSession(conn);
  // The lease may have been lost while this hello was being handled (another collector took the host).
  if (!deps.cluster.holds({ tenantId: token.tenant_id, host: hello.agent.host })) {
    ctx.reject(
      conn,
      ErrorCode.hostBusy,
      `another collector took host "${hello.agent.host}" over; connect again later`,
      CloseCode.tryAgainLater,
    );
    return;
  }
  deps.log.info(
    {
      tenant: token.tenant_id,
      host: hello.agent.host,
      version: hello.agent.version,
      protocol: hello.v,
      ...(skewMs !== null && Math.abs(skewMs) > 2000 ? { clockSkewMs: skewMs } : {}),
    },
    'agent connected',
  );
  deps.onAgent?.(token.tenant_id, hello.agent.host);
  const session = conn.session;
  const welcome = {
    type: 'welcome' as const,
    sessionId: session.sessionId,
    tenant: token.tenant_id,
    limits: { maxBatch: options.maxBatch, maxFrameBytes: options.maxFrameBytes },
    heartbeatMs: options.heartbeatMs,
  };
  if (epoch === undefined) ctx.send(conn, { v: 1, ...welcome });
  else ctx.send(conn, { v: 2, ...welcome, stream: { epoch, highWater: host.streams.get(epoch) ?? 0 } });
}
