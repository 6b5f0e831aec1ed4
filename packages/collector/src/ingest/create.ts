// Assembles the ingest path from its parts: the hot-path store for the dialect, the host states, the stages in
// order, and the group commit in front of them. Used by the collector (app.ts) and by tests.

import type { MaintenanceQuery } from '../maintenance/book.js';
import type { ConfirmationPolicy } from '../rules/confirmation.js';
import type { ThresholdRule } from '../rules/thresholds.js';
import type { MetricsSink } from '../sinks/types.js';
import type { Store } from '../store/open.js';
import type { ContractBook } from '../tickets/contracts.js';
import type { Notifier } from '../tickets/notifier.js';
import { ClockStage } from './clock.js';
import { ConfirmStage } from './confirm.js';
import { DedupeStage } from './dedupe.js';
import { EvaluateStage } from './evaluate.js';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';
import { HostStates } from './host-state.js';
import { PersistMetricsStage } from './persist-metrics.js';
import { IngestPipeline } from './pipeline.js';
import { RecordStage } from './record.js';
import { PostgresIngestStore } from './store/postgres.js';
import { SqliteIngestStore } from './store/sqlite.js';
import type { IngestStore } from './store/types.js';

export interface IngestSettings {
  rules: () => readonly ThresholdRule[];
  policy: ConfirmationPolicy;
  reopenWindowMs: number;
  /** Results older than this when received are late: they never open a ticket. */
  staleAfterMs: number;
  clockToleranceMs: number;
  group: Omit<GroupCommitOptions, 'maxQueueMs'>;
  maxQueueDelayMs: number;
}

export interface IngestDeps {
  store: Store;
  sink: MetricsSink;
  contracts: ContractBook;
  notifier: Notifier;
  newId: () => string;
  now: () => Date;
  onGroup?: (g: { batches: number; results: number; ms: number }) => void;
  onWriteBehindError?: (err: Error) => void;
  /** Maintenance windows: no ticket opens under one. */
  maintenance?: MaintenanceQuery;
  /** Several collectors: this one's instance and the lease time to live, checked in every transaction. */
  fencing?: { owner: string; ttlMs: number };
}

export interface Ingest {
  store: IngestStore;
  /** ticketConflicts: group transactions replanned after another writer opened a ticket on one of their keys. */
  stats: { ticketConflicts: number };
  hosts: HostStates;
  committer: GroupCommit;
}

export function createIngest(settings: IngestSettings, deps: IngestDeps): Ingest {
  const { store, now, newId } = deps;
  const ingestStore: IngestStore =
    store.raw.kind === 'sqlite'
      ? new SqliteIngestStore(store.db, store.raw.sqlite)
      : new PostgresIngestStore(store.raw.pool, deps.fencing);
  const hosts = new HostStates(ingestStore, {
    now,
    onError: deps.onWriteBehindError ?? ((err) => process.emitWarning(`ingest write-behind: ${err.message}`)),
  });
  const stats = { ticketConflicts: 0 };
  const pipeline = new IngestPipeline([
    new DedupeStage(ingestStore),
    new ClockStage({ toleranceMs: settings.clockToleranceMs, staleAfterMs: settings.staleAfterMs }),
    new EvaluateStage(settings.rules),
    new ConfirmStage(settings.policy),
    new PersistMetricsStage(deps.sink),
    new RecordStage({
      store: ingestStore,
      newId,
      now,
      reopenWindowMs: settings.reopenWindowMs,
      dueTimesOf: (tenant) => deps.contracts.dueTimesOf(store.db, tenant),
      notifier: deps.notifier,
      maintenance: deps.maintenance,
      onConflict: () => {
        stats.ticketConflicts++;
      },
    }),
  ]);
  const committer = new GroupCommit(
    pipeline,
    { ...settings.group, maxQueueMs: settings.maxQueueDelayMs },
    deps.onGroup,
  );
  return { store: ingestStore, stats, hosts, committer };
}
