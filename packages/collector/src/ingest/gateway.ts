// The WebSocket ingest endpoint: handshake authentication, one session per host, frames decoded and handed to
// one handler per message kind (hello.ts, results.ts, snapshot.ts, event.ts) one at a time per agent, errors
// with close codes, heartbeats, and revocation.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import {
  type AgentMessage,
  CloseCode,
  type CollectorMessage,
  type Decoded,
  type Dropped,
  decodeAgentMessage,
  ErrorCode,
} from '@vigie/shared';
import { WebSocketServer } from 'ws';
import { type HostKey, hostKeyString } from '../cluster/types.js';
import { revokedTokenIds } from '../store/credentials.js';
import type { AgentTokenTable } from '../store/schema.js';
import { authenticateAgent } from './authenticate.js';
import type { Connection, GatewayDeps, GatewayOptions, HandlerContext } from './connection.js';
import { onEvent } from './event.js';
import { onHello } from './hello.js';
import type { HostState } from './host-state.js';
import { onResults } from './results.js';
import { Slices } from './slices.js';
import { onSnapshot } from './snapshot.js';

export type { GatewayDeps, GatewayOptions } from './connection.js';

/** Decoding time per turn of the event loop: requests wait at most about this long for frames. */
const FRAME_SLICE_MS = 5;

export class IngestGateway {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  /** The connection holding each host's session, keyed `tenant/host`. */
  private readonly sessions = new Map<string, Connection>();
  /** Lease and state changes of a host, one at a time. */
  private readonly hostLocks = new Map<string, Promise<unknown>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private revocationTimer: NodeJS.Timeout | undefined;
  private readonly ctx: HandlerContext;
  /** Frames waiting to be decoded, a few milliseconds of them per turn of the event loop. */
  private readonly frames: Slices;

  constructor(
    private readonly options: GatewayOptions,
    private readonly deps: GatewayDeps,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: false,
    });
    deps.telemetry.registry.onCollect(() => deps.telemetry.agentsConnected(this.connections.size));
    this.frames = new Slices({
      budgetMs: FRAME_SLICE_MS,
      onError: (err) => deps.log.error({ err: err.message }, 'decoding a frame failed'),
    });
    this.ctx = {
      options,
      deps,
      send: (conn, msg) => this.send(conn, msg),
      error: (conn, code, message, batchId, retryAfterMs) => {
        if (conn.protocol === 2)
          this.send(conn, {
            v: 2,
            type: 'error',
            code,
            message,
            ...(batchId !== undefined ? { batchId } : {}),
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          });
        else
          this.send(conn, {
            v: 1,
            type: 'error',
            code,
            message,
            ...(batchId !== undefined ? { batchId } : {}),
          });
      },
      reject: (conn, code, message, close) => this.reject(conn, code, message, close),
      sessionOf: (tenantId, host) => this.sessions.get(`${tenantId}/${host}`),
      claimSession: (conn) => {
        if (conn.session) this.sessions.set(`${conn.session.tenantId}/${conn.session.host}`, conn);
      },
      openHost: (key, epoch, signal) =>
        this.withHostLock(hostKeyString(key), async () => {
          const lease = await deps.cluster.acquireHost(key, { timeoutMs: deps.leaseWaitMs, signal });
          if (!lease.ok) return lease;
          const host = await deps.hosts.acquire(key.tenantId, key.host, epoch, lease.generation);
          return { ok: true as const, host };
        }),
    };
    // Another collector wants a host whose agent connected there: this session goes (the newest wins).
    deps.cluster.onReleaseRequest((key, by) => {
      const conn = this.sessions.get(hostKeyString(key));
      if (conn) {
        this.reject(
          conn,
          ErrorCode.sessionReplaced,
          `the agent of host "${key.host}" connected to collector ${by}, which takes the session over`,
          CloseCode.sessionReplaced,
        );
      } else void this.letHostGo(key);
    });
    // A lease lost (taken over, or not renewable in time): stop acking for the host at once.
    deps.cluster.onLost((key, reason) => {
      const conn = this.sessions.get(hostKeyString(key));
      deps.log.warn({ tenant: key.tenantId, host: key.host, reason }, 'host lease lost');
      if (conn)
        this.reject(
          conn,
          ErrorCode.hostBusy,
          `this collector lost host "${key.host}": ${reason}`,
          CloseCode.tryAgainLater,
        );
      deps.hosts.evict(key.tenantId, key.host);
    });
  }

  private withHostLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.hostLocks.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.hostLocks.set(key, tail);
    void tail.then(() => {
      if (this.hostLocks.get(key) === tail) this.hostLocks.delete(key);
    });
    return run;
  }

  /**
   * After a session's last batch: when no other session uses the host here, its pending state is written,
   * its lease given up (another collector may take it at once) and its state forgotten.
   */
  private endSession(conn: Connection): Promise<void> {
    const host = conn.host;
    if (!host) return Promise.resolve();
    const key = { tenantId: host.tenantId, host: host.host };
    return this.withHostLock(hostKeyString(key), async () => {
      if (this.deps.hosts.release(host) > 0 || host.retired) return;
      await this.letHostGo(key, host);
    });
  }

  private async letHostGo(key: HostKey, host?: HostState): Promise<void> {
    try {
      if (host) await this.deps.hosts.flushHost(host);
    } catch (err) {
      this.deps.log.warn(
        { host: key.host, err: (err as Error).message },
        'the latest results of a host that left could not be written; the next ones will be',
      );
    }
    this.deps.hosts.evict(key.tenantId, key.host);
    await this.deps.cluster
      .releaseHost(key)
      .catch((err: Error) =>
        this.deps.log.warn({ host: key.host, err: err.message }, 'cannot give up the host lease'),
      );
  }

  start(): void {
    this.heartbeat = setInterval(() => this.sweep(), this.options.heartbeatMs);
    this.revocationTimer = setInterval(() => {
      this.checkRevocations().catch((err: Error) =>
        this.deps.log.error({ err: err.message }, 'cannot check agent tokens for revocation'),
      );
    }, this.options.revocationCheckMs);
  }

  /** Closes every connection that uses this token, at once (after an API revocation). */
  disconnectToken(tokenId: string, reason: string): number {
    let n = 0;
    for (const c of this.connections) {
      if (c.token.id !== tokenId) continue;
      this.reject(c, ErrorCode.credentialRevoked, reason, CloseCode.credentialRevoked);
      n++;
    }
    return n;
  }

  private async checkRevocations(): Promise<void> {
    const ids = [...new Set([...this.connections].map((c) => c.token.id))];
    const revoked = await revokedTokenIds(this.deps.db, ids);
    for (const id of revoked) this.disconnectToken(id, `agent token ${id} was revoked`);
  }

  connectedCount(): number {
    return this.connections.size;
  }

  /** `tenant/host` of every agent connected now. */
  connectedHosts(): Set<string> {
    return new Set(this.sessions.keys());
  }

  /** Handles an HTTP upgrade; returns false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.options.path) return false;
    socket.on('error', (err) => this.deps.log.debug({ err: err.message }, 'upgrade socket error'));
    if (this.options.requireClientCertificate && !(req.socket as TLSSocket).authorized) {
      this.deps.telemetry.authFailures({ reason: 'client_certificate' });
      const why = (req.socket as TLSSocket).authorizationError ?? 'no client certificate';
      this.deps.log.warn(
        { remote: req.socket.remoteAddress, reason: String(why) },
        'agent refused: client certificate',
      );
      refuse(
        socket,
        401,
        'client_certificate_required',
        `a valid client certificate is required (${String(why)})`,
      );
      return true;
    }
    authenticateAgent(this.deps.db, req.headers).then(
      (auth) => {
        if (!auth.ok) {
          this.deps.telemetry.authFailures({ reason: auth.code });
          this.deps.log.warn(
            { remote: req.socket.remoteAddress, reason: auth.reason },
            'agent refused at handshake',
          );
          refuse(socket, auth.status, auth.code, auth.reason);
          return;
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, auth.token, req));
      },
      (err: Error) => {
        this.deps.log.error({ err: err.message }, 'agent authentication failed');
        refuse(socket, 503, 'unavailable', 'collector cannot check credentials right now');
      },
    );
    return true;
  }

  private onConnection(ws: Connection['ws'], token: AgentTokenTable, req: IncomingMessage): void {
    const conn: Connection = {
      ws,
      token,
      session: undefined,
      host: undefined,
      protocol: 1,
      queue: Promise.resolve(),
      alive: true,
      remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
      bucket: { tokens: this.options.rateLimit.burst, at: performance.now() },
    };
    this.connections.add(conn);
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      conn.alive = true;
      const raw = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
      // Decoded in a slice of the event loop (slices.ts), handled in order after the agent's previous frame.
      this.frames.push(() => {
        if (conn.ws.readyState !== conn.ws.OPEN) return;
        const decoded = decodeAgentMessage(raw);
        conn.queue = conn.queue.then(() => this.onFrame(conn, decoded));
      });
    });
    ws.on('error', (err) => {
      const tooLarge = (err as Error & { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      this.deps.telemetry.ingestErrors({ code: tooLarge ? ErrorCode.frameTooLarge : 'socket_error' });
      this.deps.log.warn(
        { remote: conn.remote, host: conn.session?.host, err: err.message },
        'agent connection error',
      );
    });
    ws.on('close', (code) => {
      this.connections.delete(conn);
      const s = conn.session;
      if (s) {
        const key = `${s.tenantId}/${s.host}`;
        if (this.sessions.get(key) === conn) this.sessions.delete(key);
        this.deps.onAgent?.(s.tenantId, s.host);
      }
      // The host's state stays until its last batch is done and it is written back.
      void conn.queue.then(() => this.endSession(conn));
      this.deps.log.info({ host: s?.host, tenant: token.tenant_id, code }, 'agent disconnected');
    });
  }

  private async onFrame(conn: Connection, decoded: Decoded<AgentMessage>): Promise<void> {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    if (!decoded.ok) {
      // Before hello, anything but a hello is "hello required", whatever else is wrong with it.
      if (!conn.session && decoded.type !== 'hello' && decoded.code !== ErrorCode.malformedJson) {
        this.reject(
          conn,
          ErrorCode.helloRequired,
          `a hello frame must come first (got ${decoded.type === undefined ? 'a frame without a type' : decoded.type})`,
          CloseCode.helloRequired,
        );
        return;
      }
      const close =
        decoded.code === ErrorCode.unsupportedVersion
          ? CloseCode.unsupportedVersion
          : CloseCode.malformedFrame;
      this.reject(conn, decoded.code, decoded.error, close);
      return;
    }
    const msg: AgentMessage = decoded.message;
    this.deps.telemetry.framesReceived({ type: msg.type });
    if (msg.type === 'hello') return onHello(this.ctx, conn, msg);
    const session = conn.session;
    if (!session) {
      this.reject(
        conn,
        ErrorCode.helloRequired,
        `a hello frame must come first (got ${msg.type})`,
        CloseCode.helloRequired,
      );
      return;
    }
    if (msg.v !== conn.protocol) {
      this.reject(
        conn,
        ErrorCode.unsupportedVersion,
        `/v: this session speaks protocol version ${conn.protocol} (from its hello), not ${msg.v}`,
        CloseCode.unsupportedVersion,
      );
      return;
    }
    if (msg.type === 'results') {
      if (decoded.dropped.length > 0) this.reportDropped(conn, decoded.dropped);
      return onResults(this.ctx, conn, session, msg);
    }
    if (msg.type === 'event') return onEvent(this.ctx, conn, session, msg);
    return onSnapshot(this.ctx, conn, session, msg);
  }

  /** What a batch held that cannot be stored was left out of it: counted, logged, and told to the agent. */
  private reportDropped(conn: Connection, dropped: readonly Dropped[]): void {
    for (const d of dropped) this.deps.telemetry.ingestDropped({ what: d.what });
    const shown = dropped.slice(0, 5).map((d) => `${d.path}: ${d.reason}`);
    const more = dropped.length > shown.length ? `; and ${dropped.length - shown.length} more` : '';
    this.deps.log.warn(
      { host: conn.session?.host, dropped: shown, count: dropped.length },
      'left out of a batch',
    );
    this.ctx.error(
      conn,
      ErrorCode.invalidResult,
      `left out (the rest of the batch is handled): ${shown.join('; ')}${more}`,
    );
  }

  private reject(conn: Connection, code: ErrorCode, message: string, close: CloseCode): void {
    this.deps.telemetry.ingestErrors({ code });
    this.deps.log.warn(
      { remote: conn.remote, host: conn.session?.host, code, error: message },
      'frame refused',
    );
    this.ctx.error(conn, code, message);
    conn.ws.close(close, `${code}: ${message}`.slice(0, 120));
  }

  private send(conn: Connection, msg: CollectorMessage): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(msg));
  }

  /** Heartbeat: terminates connections that did not answer the previous ping. */
  private sweep(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        this.deps.log.warn({ host: conn.session?.host }, 'agent missed a heartbeat; connection dropped');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    clearInterval(this.revocationTimer);
    for (const conn of this.connections) conn.ws.close(CloseCode.goingAway, 'collector shutting down');
    await Promise.all([...this.connections].map((c) => c.queue));
    this.wss.close();
  }
}

function refuse(socket: Duplex, status: number, code: string, reason: string): void {
  const body = JSON.stringify({ error: code, message: reason });
  const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Service Unavailable';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
