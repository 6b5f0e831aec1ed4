// The ingest pipeline: result batches of many agents, gathered into a group (group-commit.ts), go through
// single-job stages, in order, before each batch is acked:
//   clock -> dedupe -> evaluate -> confirm -> persist metrics -> record (one transaction) -> (ack)
// Stages compute into the batches (`accepted`, `next` states, ticket intents); the host states in memory
// change only once the group's transaction has committed, so a failed group leaves nothing half-applied.
import type { ProtocolVersion, Result } from '@vigie/shared';
import type { Evaluation } from '../rules/thresholds.js';
import type { TicketEffect, TicketIntent } from '../tickets/plan.js';
import type { CheckState, HostState } from './host-state.js';

/** Who sent a batch; taken from the credential and the hello, never from the batch itself. */
export interface AgentSession {
  sessionId: string;
  tenantId: string;
  tokenId: string;
  agentId: string;
  host: string;
  environment: string;
  application: string;
  protocol: ProtocolVersion;
  /** Protocol 2: the agent's outbox epoch, within which results carry sequence numbers. */
  epoch?: string;
}

/** A result as received: protocol 2 results carry their outbox sequence number. */
export type IncomingResult = Result & { seq?: number };

/** A result the pipeline handles (not a replay), with its time in the collector's clock. */
export interface AcceptedResult {
  result: IncomingResult;
  /** Observation time, corrected for the agent's clock skew and never in the future (ms since epoch). */
  at: number;
  /** `at` as RFC 3339 UTC: the time written everywhere (metrics, state, tickets). */
  observedAt: string;
  /** How the agent's time was changed: shifted by its measured skew, or clamped to the receive time. */
  clock?: 'corrected' | 'clamped';
  /** Older than the silent-agent threshold when received: may update or resolve, never open a ticket. */
  late: boolean;
  evaluation?: Evaluation;
}

export interface IngestBatch {
  session: AgentSession;
  host: HostState;
  batchId: string;
  receivedAt: number;
  /** Protocol 2: the agent's clock when it sent the batch (ms). */
  sentAt?: number;
  results: IncomingResult[];
  accepted: AcceptedResult[];
  duplicates: number;
  /** Protocol 2: the stream's high-water mark once this batch is handled. */
  highWater?: number;
  /** Protocol 1 (and a new stream's first batch): ids to record as handled. */
  seenIds: string[];
  /** Check states after this batch; applied to `host` once the group commits. */
  next: Map<string, CheckState>;
  /** Of `next`, those the store must get in the group's transaction (the rest is written behind). */
  material: Set<string>;
  /** Ticket work, in order, with its dedup key. */
  intents: Array<{ key: string; intent: TicketIntent }>;
  effects: TicketEffect[];
  /** The agent's clock minus the collector's, measured on this batch (ms). */
  skewMs?: number;
}

export interface IngestGroup {
  batches: IngestBatch[];
}

export interface Stage {
  readonly name: string;
  run(group: IngestGroup): Promise<void> | void;
}

export class IngestPipeline {
  constructor(private readonly stages: readonly Stage[]) {}

  /** Runs the stages in order, letting other work (the API, frames) run between two stages. */
  async process(group: IngestGroup): Promise<IngestGroup> {
    for (const stage of this.stages) {
      try {
        await stage.run(group);
      } catch (err) {
        throw new StageError(stage.name, err as Error);
      }
      await yieldToEventLoop();
    }
    return group;
  }
}

/** Lets I/O callbacks (HTTP requests, incoming frames) run before the next piece of synchronous work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class StageError extends Error {
  constructor(
    readonly stage: string,
    override readonly cause: Error,
  ) {
    super(`ingest stage ${stage} failed: ${cause.message}`);
    this.name = 'StageError';
  }
}

export function newBatch(
  session: AgentSession,
  host: HostState,
  batchId: string,
  results: IncomingResult[],
  receivedAt: number,
  sentAt?: number,
): IngestBatch {
  return {
    session,
    host,
    batchId,
    receivedAt,
    sentAt,
    results,
    accepted: [],
    duplicates: 0,
    seenIds: [],
    next: new Map(),
    material: new Set(),
    intents: [],
    effects: [],
  };
}
