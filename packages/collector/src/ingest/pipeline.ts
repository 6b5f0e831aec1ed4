// The ingest pipeline: a results batch goes through single-job stages, in order, before it is acked.
//   (authenticate and decode happen at the gateway) -> dedupe -> persist metrics -> evaluate -> record
import type { Result } from '@vigie/shared';
import type { Evaluation } from '../rules/thresholds.js';
import type { TicketEffect } from '../tickets/apply.js';

/** Who sent a batch; taken from the credential and the hello, never from the batch itself. */
export interface AgentSession {
  sessionId: string;
  tenantId: string;
  tokenId: string;
  agentId: string;
  host: string;
  environment: string;
  application: string;
}

export interface IngestBatch {
  session: AgentSession;
  batchId: string;
  receivedAt: Date;
  results: Result[];
  /** Results not handled before (filled by dedupe, narrowed by record). */
  fresh: Result[];
  duplicates: number;
  evaluations: Map<string, Evaluation>;
  effects: TicketEffect[];
}

export interface Stage {
  readonly name: string;
  run(batch: IngestBatch): Promise<void>;
}

export class IngestPipeline {
  constructor(private readonly stages: readonly Stage[]) {}

  async process(batch: IngestBatch): Promise<IngestBatch> {
    for (const stage of this.stages) {
      try {
        await stage.run(batch);
      } catch (err) {
        throw new StageError(stage.name, err as Error);
      }
    }
    return batch;
  }
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
  batchId: string,
  results: Result[],
  receivedAt: Date,
): IngestBatch {
  return {
    session,
    batchId,
    receivedAt,
    results,
    fresh: results,
    duplicates: 0,
    evaluations: new Map(),
    effects: [],
  };
}
