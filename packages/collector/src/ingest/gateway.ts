// The WebSocket ingest endpoint: handshake authentication, hello/welcome, frames decoded and handed to the
// pipeline one batch at a time per agent, acks after durable handling, errors with close codes, heartbeats.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import {
  type AgentEvent,
  type AgentMessage,
  CloseCode,
  type CollectorMessage,
  type DriftSnapshot,
  decodeAgentMessage,
  ErrorCode,
  type Hello,
  PROTOCOL_VERSION,
  type ResultsBatch,
} from '@vigie/shared';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { encodeSnapshotItems, findSnapshot } from '../drift/snapshots.js';
import { upsertAgent } from '../store/agents.js';
import { bindTokenHost, revokedTokenIds } from '../store/credentials.js';
import { insertSnapshot } from '../store/drift.js';
import { insertAgentEvent } from '../store/events.js';
import type { Db } from '../store/open.js';
import type { AgentTokenTable } from '../store/schema.js';
import type { CollectorTelemetry } from '../telemetry/metrics.js';
import type { TicketEffect } from '../tickets/apply.js';
import { authenticateAgent } from './authenticate.js';
import { type AgentSession, type IngestPipeline, newBatch, StageError } from './pipeline.js';

export interface GatewayOptions {
  path: string;
  maxFrameBytes: number;
  maxBatch: number;
  heartbeatMs: number;
  /** Per-agent rate limit: sustained results per second, and the burst allowed above it. */
  rateLimit: { resultsPerSecond: number; burst: number };
  /** How often connected agents' tokens are checked for revocation (by another process, e.g. the CLI). */
  revocationCheckMs: number;
  /** With mutual TLS required, a connection without a valid client certificate is refused. */
  requireClientCertificate: boolean;
}

export interface GatewayDeps {
  /** Told about the ticket effects of each handled batch (after its transaction committed). */
  onEffects?: (effects: readonly TicketEffect[], host: string, tenant: string) => void;
  /** Told when an agent connects or disconnects. */
  onAgent?: (tenant: string, host: string) => void;
  /** Told when a new (not replayed) drift snapshot is stored, after its ack. */
  onSnapshotStored?: (session: AgentSession) => void;
  db: Db;
  pipeline: IngestPipeline;
  log: Logger;
  telemetry: CollectorTelemetry;
  now: () => Date;
  newId: () => string;
}

interface Connection {
  ws: WebSocket;
  token: AgentTokenTable;
  session: AgentSession | undefined;
  /** Frames of one agent are handled in order, one at a time. */
  queue: Promise<void>;
  alive: boolean;
  remote: string;
  bucket: { tokens: number; at: number };
}

export class IngestGateway {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private heartbeat: NodeJS.Timeout | undefined;
  private revocationTimer: NodeJS.Timeout | undefined;

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
    const out = new Set<string>();
    for (const c of this.connections) if (c.session) out.add(`${c.session.tenantId}/${c.session.host}`);
    return out;
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

  private onConnection(ws: WebSocket, token: AgentTokenTable, req: IncomingMessage): void {
    const conn: Connection = {
      ws,
      token,
      session: undefined,
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
      conn.queue = conn.queue.then(() => this.onFrame(conn, raw));
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
      if (conn.session) this.deps.onAgent?.(conn.session.tenantId, conn.session.host);
      this.deps.log.info({ host: conn.session?.host, tenant: token.tenant_id, code }, 'agent disconnected');
    });
  }

  private async onFrame(conn: Connection, raw: string): Promise<void> {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    const decoded = decodeAgentMessage(raw);
    if (!decoded.ok) {
      const close =
        decoded.code === ErrorCode.unsupportedVersion
          ? CloseCode.unsupportedVersion
          : CloseCode.malformedFrame;
      this.reject(conn, decoded.code, decoded.error, close);
      return;
    }
    const msg: AgentMessage = decoded.message;
    this.deps.telemetry.framesReceived({ type: msg.type });
    if (msg.type === 'hello') return this.onHello(conn, msg);
    if (!conn.session) {
      this.reject(
        conn,
        ErrorCode.helloRequired,
        `a hello frame must come first (got ${msg.type})`,
        CloseCode.helloRequired,
      );
      return;
    }
    if (msg.type === 'results') return this.onResults(conn, conn.session, msg);
    if (msg.type === 'event') return this.onEvent(conn, conn.session, msg);
    return this.onSnapshot(conn, conn.session, msg);
  }

  private async onHello(conn: Connection, hello: Hello): Promise<void> {
    const { token } = conn;
    // A token without a host is bound to the host of its first hello: it can never speak for another one.
    if (token.host === null) {
      try {
        if (await bindTokenHost(this.deps.db, token.id, hello.agent.host)) token.host = hello.agent.host;
      } catch (err) {
        this.deps.log.error({ err: (err as Error).message }, 'cannot bind the token to its host');
        this.reject(
          conn,
          ErrorCode.internal,
          'collector cannot register the agent now',
          CloseCode.internalError,
        );
        return;
      }
    }
    if (token.host !== hello.agent.host) {
      this.reject(
        conn,
        ErrorCode.hostMismatch,
        `this token may only report for host "${token.host}", not "${hello.agent.host}"`,
        CloseCode.policyViolation,
      );
      return;
    }
    try {
      const agent = await upsertAgent(this.deps.db, {
        id: this.deps.newId(),
        tenantId: token.tenant_id,
        tokenId: token.id,
        agent: hello.agent,
        now: this.deps.now(),
      });
      conn.session = {
        sessionId: this.deps.newId(),
        tenantId: token.tenant_id,
        tokenId: token.id,
        agentId: agent.id,
        host: agent.host,
        environment: agent.environment,
        application: agent.application,
      };
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message }, 'cannot register agent');
      this.reject(
        conn,
        ErrorCode.internal,
        'collector cannot register the agent now',
        CloseCode.internalError,
      );
      return;
    }
    this.deps.log.info(
      { tenant: token.tenant_id, host: hello.agent.host, version: hello.agent.version },
      'agent connected',
    );
    this.deps.onAgent?.(token.tenant_id, hello.agent.host);
    this.send(conn, {
      v: PROTOCOL_VERSION,
      type: 'welcome',
      sessionId: conn.session.sessionId,
      tenant: token.tenant_id,
      limits: { maxBatch: this.options.maxBatch, maxFrameBytes: this.options.maxFrameBytes },
      heartbeatMs: this.options.heartbeatMs,
    });
  }

  private async onResults(conn: Connection, session: AgentSession, msg: ResultsBatch): Promise<void> {
    if (msg.results.length > this.options.maxBatch) {
      this.reject(
        conn,
        ErrorCode.batchTooLarge,
        `/results: ${msg.results.length} results in one batch; the limit is ${this.options.maxBatch}`,
        CloseCode.policyViolation,
      );
      return;
    }
    if (!this.takeTokens(conn, msg.results.length)) {
      this.deps.telemetry.ingestErrors({ code: ErrorCode.rateLimited });
      this.send(conn, {
        v: PROTOCOL_VERSION,
        type: 'error',
        code: ErrorCode.rateLimited,
        message: `over ${this.options.rateLimit.resultsPerSecond} results per second; send this batch again later`,
        batchId: msg.batchId,
      });
      return;
    }
    const t0 = performance.now();
    try {
      const batch = await this.deps.pipeline.process(
        newBatch(session, msg.batchId, msg.results, this.deps.now()),
      );
      const t = this.deps.telemetry;
      t.resultsAccepted({}, batch.fresh.length);
      t.resultsDuplicate({}, batch.duplicates);
      t.batches();
      for (const e of batch.effects) {
        if (e.kind === 'opened') t.ticketsOpened();
        if (e.kind === 'resolved') t.ticketsResolved();
      }
      this.deps.onEffects?.(batch.effects, session.host, session.tenantId);
      this.send(conn, {
        v: PROTOCOL_VERSION,
        type: 'ack',
        batchId: msg.batchId,
        accepted: batch.fresh.length,
        duplicates: batch.duplicates,
      });
    } catch (err) {
      // Not acked: the agent keeps the batch and sends it again; nothing is lost.
      this.deps.telemetry.ingestErrors({ code: ErrorCode.internal });
      if (err instanceof StageError && err.stage === 'persist-metrics') this.deps.telemetry.sinkFailures();
      this.deps.log.error(
        { host: session.host, batchId: msg.batchId, err: (err as Error).message },
        'batch not handled',
      );
      this.send(conn, {
        v: PROTOCOL_VERSION,
        type: 'error',
        code: ErrorCode.internal,
        message: `batch not handled, send it again later: ${(err as Error).message}`,
        batchId: msg.batchId,
      });
    } finally {
      this.deps.telemetry.batchSeconds({}, (performance.now() - t0) / 1000);
    }
  }

  private async onSnapshot(conn: Connection, session: AgentSession, msg: DriftSnapshot): Promise<void> {
    try {
      const stored = await insertSnapshot(this.deps.db, {
        id: `${session.tenantId}:${msg.snapshotId}`,
        tenant_id: session.tenantId,
        host: session.host,
        check_id: msg.checkId,
        taken_at: msg.takenAt,
        full: msg.full ? 1 : 0,
        items: encodeSnapshotItems(msg),
        received_at: this.deps.now().toISOString(),
      });
      this.send(conn, {
        v: PROTOCOL_VERSION,
        type: 'ack',
        batchId: msg.snapshotId,
        accepted: stored ? 1 : 0,
        duplicates: stored ? 0 : 1,
      });
      if (stored) this.deps.onSnapshotStored?.(session);
      if (!msg.full && !(await this.hasBase(session, msg))) {
        this.send(conn, {
          v: PROTOCOL_VERSION,
          type: 'snapshot.request',
          checkId: msg.checkId,
          reason: `no snapshot ${msg.baseSnapshotId ?? '(none named)'} to apply these changes to`,
        });
      }
    } catch (err) {
      this.deps.log.error({ host: session.host, err: (err as Error).message }, 'snapshot not stored');
      this.send(conn, {
        v: PROTOCOL_VERSION,
        type: 'error',
        code: ErrorCode.internal,
        message: 'snapshot not stored, send it again later',
        batchId: msg.snapshotId,
      });
    }
  }

  /** Token bucket per agent: refills at the sustained rate, holds at most the burst. */
  private takeTokens(conn: Connection, n: number): boolean {
    const { resultsPerSecond, burst } = this.options.rateLimit;
    const now = performance.now();
    const b = conn.bucket;
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * resultsPerSecond);
    b.at = now;
    // A batch larger than the burst passes when the bucket is full, and leaves it in debt.
    if (b.tokens < Math.min(n, burst)) return false;
    b.tokens -= n;
    return true;
  }

  /** Whether the snapshot a delta applies to was received (it may be lost with an agent's outbox bound). */
  private async hasBase(session: AgentSession, msg: DriftSnapshot): Promise<boolean> {
    if (!msg.baseSnapshotId) return false;
    return (
      (await findSnapshot(this.deps.db, session.tenantId, session.host, msg.baseSnapshotId)) !== undefined
    );
  }

  private async onEvent(conn: Connection, session: AgentSession, msg: AgentEvent): Promise<void> {
    this.deps.telemetry.agentEvents({ kind: msg.kind });
    this.deps.log.warn(
      { tenant: session.tenantId, host: session.host, kind: msg.kind, details: msg.details },
      'agent event',
    );
    try {
      await insertAgentEvent(this.deps.db, {
        id: `${session.tenantId}:${msg.eventId}`,
        tenant_id: session.tenantId,
        host: session.host,
        kind: msg.kind,
        at: msg.at,
        details: JSON.stringify(msg.details),
        received_at: this.deps.now().toISOString(),
      });
      this.send(conn, { v: PROTOCOL_VERSION, type: 'ack', batchId: msg.eventId, accepted: 1, duplicates: 0 });
    } catch (err) {
      this.deps.log.error({ host: session.host, err: (err as Error).message }, 'agent event not stored');
      this.send(conn, {
        v: PROTOCOL_VERSION,
        type: 'error',
        code: ErrorCode.internal,
        message: 'event not stored, send it again later',
        batchId: msg.eventId,
      });
    }
  }

  private reject(conn: Connection, code: ErrorCode, message: string, close: CloseCode): void {
    this.deps.telemetry.ingestErrors({ code });
    this.deps.log.warn(
      { remote: conn.remote, host: conn.session?.host, code, error: message },
      'frame refused',
    );
    this.send(conn, { v: PROTOCOL_VERSION, type: 'error', code, message });
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
