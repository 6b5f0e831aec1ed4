// The agent's WebSocket link to the collector: hello, batches from the outbox, acks, heartbeats, reconnects.
// Whatever ends an attempt (an HTTP answer other than 101, a socket error, a timeout, a close), the next one
// comes after the same backoff with jitter, for as long as the agent runs, on the next collector of its list:
// it always comes back, and its outbox waits meanwhile. A refused credential (401, 403) is logged with the
// collector's reason at every attempt, and those attempts are paced at the slow end of the backoff: fixing a
// credential takes a person.

import type { IncomingMessage } from 'node:http';
import {
  type AgentMessage,
  CloseCode,
  type CollectorMessage,
  createIdGenerator,
  decodeCollectorMessage,
  type Hello,
  PROTOCOL_VERSION,
  type ProtocolVersion,
} from '@vigie/shared';
import WebSocket from 'ws';
import type { AgentLog } from '../log.js';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';
import { backoffDelay } from './backoff.js';

export interface ClientOptions {
  url: string;
  /**
   * Several collectors (each able to take any agent): after a failed attempt or a lost connection the next one
   * is tried, with the same backoff. Default: `[url]`.
   */
  urls?: string[];
  token: string;
  /** PEM: a CA for the collector's certificate, and a client certificate and key for mutual TLS. */
  tls?: { ca?: string; cert?: string; key?: string };
  agent: Hello['agent'];
  /** The agent's clock, for `sentAt` (the collector measures the agent's skew from it). */
  now?: () => Date;
  batchSize: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  heartbeatMs: number;
  /** How long to wait for an ack before dropping the connection and trying again. */
  ackTimeoutMs?: number;
  random?: () => number;
  newId?: () => string;
  /** The collector asked for a check's full drift snapshot. */
  onSnapshotRequest?: (checkId: string, reason: string) => void;
}

type InFlight = { frameId: string; lastSeq: number; timer: NodeJS.Timeout };

/** How an attempt was refused at the handshake: the HTTP status and the collector's (or proxy's) reason. */
interface Refusal {
  status: number;
  reason: string;
}

/** With a refused credential, attempts use the backoff's ceiling: the attempt number that reaches it. */
const CREDENTIAL_REFUSED_ATTEMPT = 30;
const REFUSAL_BODY_BYTES = 2000;
const REFUSAL_BODY_WAIT_MS = 2000;

export class CollectorClient {
  private ws: WebSocket | undefined;
  private ready = false;
  private stopped = false;
  private attempt = 0;
  private retries = 0;
  private inFlight: InFlight | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  private readonly random: () => number;
  private readonly newId: () => string;
  private maxBatch: number;
  private readonly now: () => Date;
  private readonly urls: string[];
  private urlIndex = 0;
  /**
   * The protocol version spoken: the newest first; a collector that refuses it (close 4001 at hello) is an
   * older release, and the agent speaks version 1 to it from then on.
   */
  private version: ProtocolVersion = PROTOCOL_VERSION;
  /** Why the current attempt was refused at the handshake, when it was. */
  private refusal: Refusal | undefined;
  /** Counters for logs and tests. */
  readonly stats = {
    connects: 0,
    attempts: 0,
    refusals: 0,
    batchesAcked: 0,
    resultsAcked: 0,
    errorsReceived: 0,
  };

  constructor(
    private readonly options: ClientOptions,
    private readonly outbox: Outbox,
    private readonly log: AgentLog,
  ) {
    this.random = options.random ?? Math.random;
    this.newId = options.newId ?? createIdGenerator();
    this.maxBatch = options.batchSize;
    this.now = options.now ?? (() => new Date());
    this.urls = options.urls && options.urls.length > 0 ? options.urls : [options.url];
    // Agents spread over the collectors from their first connection.
    this.urlIndex = Math.floor(this.random() * this.urls.length);
    outbox.onPush(() => this.pump());
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.teardownTimers();
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      ws.close(1000, 'agent stopping');
    });
  }

  isReady(): boolean {
    return this.ready;
  }

  /** The protocol version this client speaks now. */
  protocolVersion(): ProtocolVersion {
    return this.version;
  }

  private hello(): AgentMessage {
    if (this.version === 1) return { v: 1, type: 'hello', agent: this.options.agent };
    return {
      v: 2,
      type: 'hello',
      agent: this.options.agent,
      stream: { epoch: this.outbox.epoch },
      sentAt: this.now().toISOString(),
    };
  }

  private connect(): void {
    if (this.stopped) return;
    this.stats.attempts++;
    this.refusal = undefined;
    const url = this.urls[this.urlIndex % this.urls.length] as string;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${this.options.token}` },
        handshakeTimeout: 10_000,
        maxPayload: 1024 * 1024,
        ...this.options.tls,
      });
    } catch (err) {
      this.log.error({ err: (err as Error).message, url }, 'cannot open a connection');
      this.retry();
      return;
    }
    this.ws = ws;
    ws.on('open', () => {
      this.stats.connects++;
      this.send(this.hello());
      this.startHeartbeat(ws);
    });
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    // Anything but 101: read the reason, then end the attempt; 'close' follows and schedules the next one.
    ws.on('unexpected-response', (_req, res) => {
      readBody(res, REFUSAL_BODY_BYTES, REFUSAL_BODY_WAIT_MS).then((body) => {
        if (this.ws === ws) this.refusal = { status: res.statusCode ?? 0, reason: refusalReason(body) };
        ws.terminate();
      });
    });
    ws.on('error', (err) => {
      // A refused handshake was already described by its status and reason.
      if (this.ws === ws && this.refusal) return;
      this.log.warn({ err: err.message, url }, 'connection error');
    });
    ws.on('close', (code, reason) => {
      if (this.ws === ws) this.onClosed(code, reason.toString());
    });
  }

  private onClosed(code: number, reason: string): void {
    const wasReady = this.ready;
    this.ready = false;
    this.teardownTimers();
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = undefined;
    if (this.stopped) return;
    if (code === CloseCode.unsupportedVersion && !wasReady && this.version > 1) {
      this.version = 1;
      this.log.warn({ reason }, 'the collector is an older release; speaking protocol version 1 to it');
    }
    if (code === CloseCode.sessionReplaced) {
      this.log.error(
        { host: this.options.agent.host, reason },
        'another agent connected with this host credential and took over the session; is the agent running twice?',
      );
    }
    const refusal = this.refusal;
    const delay = this.retry(refusal);
    const pending = this.outbox.size();
    const next = this.urls[this.urlIndex];
    if (!refusal) {
      this.log.info({ code, reason, retryInMs: delay, pending, next }, 'disconnected from collector');
      return;
    }
    this.stats.refusals++;
    const details = { status: refusal.status, reason: refusal.reason, retryInMs: delay, pending, next };
    if (refusal.status === 401 || refusal.status === 403) {
      this.log.error(
        details,
        "collector refused this agent's credential (revoked, unknown, or for another host?); the outbox is kept, retrying",
      );
    } else {
      this.log.warn(details, `collector answered HTTP ${refusal.status} instead of a WebSocket; retrying`);
    }
  }

  /**
   * Schedules the next attempt, on the next collector of the list, after the backoff (its ceiling for a
   * refused credential); returns the delay.
   */
  private retry(refusal?: Refusal): number {
    const credential = refusal?.status === 401 || refusal?.status === 403;
    const attempt = this.attempt++;
    const delay = backoffDelay(
      credential ? Math.max(attempt, CREDENTIAL_REFUSED_ATTEMPT) : attempt,
      this.options.reconnectMinMs,
      this.options.reconnectMaxMs,
      this.random,
    );
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    return delay;
  }

  private onMessage(raw: string): void {
    const decoded = decodeCollectorMessage(raw);
    if (!decoded.ok) {
      this.log.error({ error: decoded.error }, 'collector sent an invalid frame; reconnecting');
      this.ws?.terminate();
      return;
    }
    const msg: CollectorMessage = decoded.message;
    switch (msg.type) {
      case 'welcome':
        this.ready = true;
        this.attempt = 0;
        this.maxBatch = Math.max(1, Math.min(this.options.batchSize, msg.limits.maxBatch));
        // Entries the collector already handled (their ack was lost with the connection) need not travel again.
        if ('stream' in msg && msg.stream.epoch === this.outbox.epoch && msg.stream.highWater > 0) {
          this.outbox.removeThrough(msg.stream.highWater);
        }
        this.log.info(
          { tenant: msg.tenant, session: msg.sessionId, protocol: msg.v },
          'connected to collector',
        );
        this.pump();
        break;
      case 'ack':
        if (this.inFlight && msg.batchId === this.inFlight.frameId) {
          clearTimeout(this.inFlight.timer);
          this.outbox.removeThrough(this.inFlight.lastSeq);
          this.stats.batchesAcked++;
          this.stats.resultsAcked += msg.accepted + msg.duplicates;
          this.inFlight = undefined;
          this.retries = 0;
          this.pump();
        }
        break;
      case 'snapshot.request':
        this.options.onSnapshotRequest?.(msg.checkId, msg.reason);
        break;
      case 'error':
        this.stats.errorsReceived++;
        this.log.error(
          { code: msg.code, message: msg.message, batchId: msg.batchId },
          'collector reported an error',
        );
        if (this.inFlight && msg.batchId === this.inFlight.frameId)
          this.retryLater('retryAfterMs' in msg ? msg.retryAfterMs : undefined);
        break;
    }
  }

  /**
   * The collector could not handle the frame in flight (its storage is down, it is over capacity, or this agent
   * over its rate): keep it, send it again after the collector's `retryAfterMs` (with jitter), else after a
   * backoff delay.
   */
  private retryLater(retryAfterMs?: number): void {
    if (!this.inFlight) return;
    clearTimeout(this.inFlight.timer);
    const delay =
      retryAfterMs !== undefined
        ? Math.round(retryAfterMs * (1 + this.random() * 0.5))
        : backoffDelay(this.retries++, this.options.reconnectMinMs, this.options.reconnectMaxMs, this.random);
    this.inFlight.timer = setTimeout(() => {
      this.inFlight = undefined;
      this.pump();
    }, delay);
  }

  /** Sends the next frame from the outbox when connected and nothing is awaiting an ack. */
  private pump(): void {
    if (!this.ready || this.inFlight || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    const entries = this.outbox.peek(this.maxBatch);
    const first = entries[0];
    if (!first) return;
    let frame: AgentMessage;
    let frameId: string;
    let lastSeq: number;
    const v = this.version;
    if (first.kind === 'snapshot') {
      frameId = first.snapshot.snapshotId;
      lastSeq = first.seq;
      frame = { v, type: 'drift.snapshot', ...first.snapshot };
    } else if (first.kind === 'event') {
      frameId = first.event.eventId;
      lastSeq = first.seq;
      frame = { v, type: 'event', ...first.event };
    } else {
      const results: Extract<OutboxEntry, { kind: 'result' }>[] = [];
      for (const e of entries) {
        if (e.kind !== 'result') break;
        results.push(e);
      }
      frameId = this.newId();
      lastSeq = (results[results.length - 1] as OutboxEntry).seq;
      frame =
        v === 1
          ? { v, type: 'results', batchId: frameId, results: results.map((e) => e.result) }
          : {
              v,
              type: 'results',
              batchId: frameId,
              sentAt: this.now().toISOString(),
              results: results.map((e) => ({ ...e.result, seq: e.seq })),
            };
    }
    const ackTimeout = this.options.ackTimeoutMs ?? 30_000;
    const ws = this.ws;
    this.inFlight = {
      frameId,
      lastSeq,
      timer: setTimeout(() => {
        this.log.warn({ frameId }, `no ack within ${ackTimeout} ms; reconnecting`);
        ws.terminate();
      }, ackTimeout),
    };
    this.send(frame);
  }

  private send(msg: AgentMessage): void {
    this.ws?.send(JSON.stringify(msg));
  }

  private startHeartbeat(ws: WebSocket): void {
    this.awaitingPong = false;
    this.heartbeatTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.log.warn('no pong from collector; connection presumed dead');
        ws.terminate();
        return;
      }
      this.awaitingPong = true;
      ws.ping();
    }, this.options.heartbeatMs);
  }

  private teardownTimers(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}

function readBody(res: IncomingMessage, max: number, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    const done = () => {
      clearTimeout(timer);
      res.removeAllListeners('data');
      resolve(body);
    };
    const timer = setTimeout(done, waitMs);
    res.on('data', (chunk: Buffer) => {
      if (body.length < max) body += chunk.toString('utf8');
    });
    res.once('end', done);
    res.once('error', done);
    res.once('close', done);
  });
}

/** The collector's `{ error, message }`, or the first line of whatever else answered (a proxy's page). */
function refusalReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.message === 'string')
      return typeof parsed.error === 'string' ? `${parsed.error}: ${parsed.message}` : parsed.message;
  } catch {
    // Not the collector's JSON: a reverse proxy's page or plain text, shown as it is.
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 300) || '(no body)';
}
