// For tests: the ingest path on a real store and sink, with agents as sessions that send batches straight to
// the group commit (what the gateway does after decoding a frame), on an injected clock.
import type { Result, Status } from '@vigie/shared';
import type { ConfirmationPolicy } from '../rules/confirmation.js';
import type { ThresholdRule } from '../rules/thresholds.js';
import type { MetricsSink } from '../sinks/types.js';
import { upsertAgent } from '../store/agents.js';
import type { Store } from '../store/open.js';
import { ContractBook } from '../tickets/contracts.js';
import { type Notifier, SILENT_NOTIFIER } from '../tickets/notifier.js';
import { createIngest, type Ingest } from './create.js';
import type { HostState } from './host-state.js';
import type { AgentSession, IncomingResult, IngestBatch } from './pipeline.js';

export interface HarnessOptions {
  store: Store;
  sink: MetricsSink;
  now: () => Date;
  newId: () => string;
  policy?: ConfirmationPolicy;
  reopenWindowMs?: number;
  staleAfterMs?: number;
  rules?: readonly ThresholdRule[];
  notifier?: Notifier;
  group?: { maxBatches: number; maxResults: number; concurrency: number };
}

export interface TestAgent {
  session: AgentSession;
  host: HostState;
  /** Sends one batch, as the gateway would once decoded; resolves when it is committed. */
  send(results: IncomingResult[], opts?: { sentAt?: number }): Promise<IngestBatch>;
  /** Ends the session (its host state is released). */
  close(): void;
}

export interface IngestHarness {
  ingest: Ingest;
  connect(agent: {
    tenant: string;
    host: string;
    environment?: 'production' | 'iso-production' | 'staging';
    application?: string;
    /** Protocol 2 stream epoch; without it, the agent speaks protocol 1. */
    epoch?: string;
  }): Promise<TestAgent>;
  /** Writes what waits behind and lets the host states go (as at a collector's stop). */
  close(): Promise<void>;
}

export const TEST_POLICY: ConfirmationPolicy = {
  failures: 1,
  recoveries: 1,
  flapChanges: 100,
  flapWindowMs: 3_600_000,
};

export function ingestHarness(o: HarnessOptions): IngestHarness {
  const ingest = createIngest(
    {
      rules: () => o.rules ?? [],
      policy: o.policy ?? TEST_POLICY,
      reopenWindowMs: o.reopenWindowMs ?? 0,
      staleAfterMs: o.staleAfterMs ?? 86_400_000,
      clockToleranceMs: 2000,
      group: o.group ?? { maxBatches: 500, maxResults: 5000, concurrency: 2 },
      maxQueueDelayMs: 60_000,
    },
    {
      store: o.store,
      sink: o.sink,
      contracts: new ContractBook(),
      notifier: o.notifier ?? SILENT_NOTIFIER,
      newId: o.newId,
      now: o.now,
      onWriteBehindError: (err) => {
        throw err;
      },
    },
  );
  return {
    ingest,
    async connect(a) {
      const environment = a.environment ?? 'production';
      const application = a.application ?? 'shop';
      const agent = await upsertAgent(o.store.db, {
        id: o.newId(),
        tenantId: a.tenant,
        tokenId: 'tok',
        agent: { host: a.host, environment, application, version: 'test' },
        now: o.now(),
        protocol: a.epoch ? 2 : 1,
      });
      const host = await ingest.hosts.acquire(a.tenant, a.host, a.epoch);
      host.agentId = agent.id;
      const session: AgentSession = {
        sessionId: o.newId(),
        tenantId: a.tenant,
        tokenId: 'tok',
        agentId: agent.id,
        host: a.host,
        environment,
        application,
        protocol: a.epoch ? 2 : 1,
        epoch: a.epoch,
      };
      return {
        session,
        host,
        send: (results, opts) =>
          host.serial(() =>
            ingest.committer.submit({
              session,
              host,
              batchId: o.newId(),
              results,
              receivedAt: o.now().getTime(),
              sentAt: opts?.sentAt,
            }),
          ),
        close: () => ingest.hosts.release(host),
      };
    },
    close: () => ingest.hosts.close(),
  };
}

/** A result of check `checkId` observed at `at` (ms). */
export function testResult(
  id: string,
  checkId: string,
  status: Status,
  at: number,
  metrics: Record<string, number> = {},
): Result {
  return {
    id,
    checkId,
    type: 'backup-freshness',
    category: 'backup',
    status,
    metrics,
    message: `${checkId} ${status}`,
    observedAt: new Date(at).toISOString(),
    durationMs: 1,
  };
}

/** A protocol 2 session of tenant `t`, host `h`, for stage and group-commit tests that need no store. */
export const TEST_SESSION: AgentSession = {
  sessionId: 's',
  tenantId: 't',
  tokenId: 'k',
  agentId: 'a',
  host: 'h',
  environment: 'production',
  application: 'app',
  protocol: 2,
};
