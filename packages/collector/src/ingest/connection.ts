// One agent's WebSocket connection as the gateway and the message handlers see it, and the context the
// handlers share (dependencies, options, sending and refusing).
import type { CloseCode, CollectorMessage, ErrorCode, ProtocolVersion } from '@vigie/shared';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Cluster, HostKey } from '../cluster/types.js';
import type { Db } from '../store/open.js';
import type { AgentTokenTable } from '../store/schema.js';
import type { CollectorTelemetry } from '../telemetry/metrics.js';
import type { TicketEffect } from '../tickets/plan.js';
import type { GroupCommit } from './group-commit.js';
import type { HostState, HostStates } from './host-state.js';
import type { AgentSession } from './pipeline.js';

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
  cluster: Cluster;
  /** How long a hello waits for another collector to let its host go. */
  leaseWaitMs: number;
  committer: GroupCommit;
  hosts: HostStates;
  log: Logger;
  telemetry: CollectorTelemetry;
  now: () => Date;
  newId: () => string;
}

export interface Connection {
  ws: WebSocket;
  token: AgentTokenTable;
  session: AgentSession | undefined;
  host: HostState | undefined;
  /** The protocol version spoken on this connection (1 until a version 2 hello). */
  protocol: ProtocolVersion;
  /** Frames of one agent are handled in order, one at a time. */
  queue: Promise<void>;
  alive: boolean;
  remote: string;
  bucket: { tokens: number; at: number };
}

/** What every message handler needs. */
export interface HandlerContext {
  options: GatewayOptions;
  deps: GatewayDeps;
  send(conn: Connection, msg: CollectorMessage): void;
  /** An error frame (with a retry delay for protocol 2 agents), about one frame, without closing. */
  error(conn: Connection, code: ErrorCode, message: string, batchId?: string, retryAfterMs?: number): void;
  /** Refuses a frame and closes the connection with `close`. */
  reject(conn: Connection, code: ErrorCode, message: string, close: CloseCode): void;
  /**
   * Takes the host's lease (waiting for another collector to let it go) and its state, for a new session.
   * Lease and state changes of one host never interleave (see `closeHost`).
   */
  openHost(
    key: HostKey,
    epoch: string | undefined,
    signal: AbortSignal,
  ): Promise<{ ok: true; host: HostState } | { ok: false; reason: string }>;
  /** The session of this host on another connection, if any (one session per host). */
  sessionOf(tenantId: string, host: string): Connection | undefined;
  claimSession(conn: Connection): void;
}
