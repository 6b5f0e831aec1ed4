// The agent's WebSocket link to the collector: hello, batches from the outbox, acks, heartbeats, reconnects.
import {
  type AgentMessage,
  type CollectorMessage,
  createIdGenerator,
  decodeCollectorMessage,
  type Hello,
  PROTOCOL_VERSION,
} from '@vigie/shared';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';
import { backoffDelay } from './backoff.js';

export interface ClientOptions {
  url: string;
  token: string;
  /** PEM: a CA for the collector's certificate, and a client certificate and key for mutual TLS. */
  tls?: { ca?: string; cert?: string; key?: string };
  agent: Hello['agent'];
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
  /** Counters for logs and tests. */
  readonly stats = { connects: 0, batchesAcked: 0, resultsAcked: 0, errorsReceived: 0 };

  constructor(
    private readonly options: ClientOptions,
    private readonly outbox: Outbox,
    private readonly log: Logger,
  ) {
    this.random = options.random ?? Math.random;
    this.newId = options.newId ?? createIdGenerator();
    this.maxBatch = options.batchSize;
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

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.options.url, {
      headers: { authorization: `Bearer ${this.options.token}` },
      handshakeTimeout: 10_000,
      maxPayload: 1024 * 1024,
      ...this.options.tls,
    });
    this.ws = ws;
    ws.on('open', () => {
      this.stats.connects++;
      this.send({ v: PROTOCOL_VERSION, type: 'hello', agent: this.options.agent });
      this.startHeartbeat(ws);
    });
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        if (body.length < 2000) body += chunk.toString();
      });
      res.on('end', () => {
        this.log.error(
          { status: res.statusCode, body: body.slice(0, 500) },
          'collector refused the connection',
        );
      });
    });
    ws.on('error', (err) => {
      this.log.warn({ err: err.message, url: this.options.url }, 'connection error');
    });
    ws.on('close', (code, reason) => {
      if (this.ws === ws) this.onClosed(code, reason.toString());
    });
  }

  private onClosed(code: number, reason: string): void {
    this.ready = false;
    this.teardownTimers();
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = undefined;
    if (this.stopped) return;
    const delay = backoffDelay(
      this.attempt++,
      this.options.reconnectMinMs,
      this.options.reconnectMaxMs,
      this.random,
    );
    this.log.info({ code, reason, retryInMs: delay }, 'disconnected from collector');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
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
        this.log.info({ tenant: msg.tenant, session: msg.sessionId }, 'connected to collector');
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
        if (this.inFlight && msg.batchId === this.inFlight.frameId) this.retryLater();
        break;
    }
  }

  /** The collector could not handle the frame in flight (its storage is down): keep it, send it again later. */
  private retryLater(): void {
    if (!this.inFlight) return;
    clearTimeout(this.inFlight.timer);
    const delay = backoffDelay(
      this.retries++,
      this.options.reconnectMinMs,
      this.options.reconnectMaxMs,
      this.random,
    );
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
    if (first.kind === 'snapshot') {
      frameId = first.snapshot.snapshotId;
      lastSeq = first.seq;
      frame = { v: PROTOCOL_VERSION, type: 'drift.snapshot', ...first.snapshot };
    } else if (first.kind === 'event') {
      frameId = first.event.eventId;
      lastSeq = first.seq;
      frame = { v: PROTOCOL_VERSION, type: 'event', ...first.event };
    } else {
      const results: Extract<OutboxEntry, { kind: 'result' }>[] = [];
      for (const e of entries) {
        if (e.kind !== 'result') break;
        results.push(e);
      }
      frameId = this.newId();
      lastSeq = (results[results.length - 1] as OutboxEntry).seq;
      frame = {
        v: PROTOCOL_VERSION,
        type: 'results',
        batchId: frameId,
        results: results.map((e) => e.result),
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
