// Group commit: batches from any agents that wait while a group is being handled form the next group, which
// goes through the pipeline together (one metrics write, one store transaction), then each batch is acked.
// There is no timer: a lone batch on an idle collector starts at once, and under load groups grow by
// themselves up to a bound. A group that fails is retried batch by batch, so one bad batch cannot fail the
// others. Past capacity, new batches are refused with the wait to come back after (`admit`), so acks never
// queue longer than agents wait for them.

import type { HostState } from './host-state.js';
import {
  type AgentSession,
  type IncomingResult,
  type IngestBatch,
  type IngestGroup,
  type IngestPipeline,
  newBatch,
  yieldToEventLoop,
} from './pipeline.js';

export interface GroupCommitOptions {
  /** Bounds of one group: batches, and results. */
  maxBatches: number;
  maxResults: number;
  /** Groups handled at once (one in its transaction while the next computes or waits for the sink). */
  concurrency: number;
  /** A batch that would wait longer than this (by the measured rate) is refused with a retry delay. */
  maxQueueMs: number;
  /** Milliseconds, monotonic (default `performance.now`). */
  now?: () => number;
}

export interface BatchInput {
  session: AgentSession;
  host: HostState;
  batchId: string;
  results: IncomingResult[];
  receivedAt: number;
  sentAt?: number;
}

interface Entry {
  input: BatchInput;
  resolve: (batch: IngestBatch) => void;
  reject: (err: Error) => void;
}

export type Admission = { ok: true } | { ok: false; retryAfterMs: number; reason: string };

export class GroupCommit {
  private readonly queue: Entry[] = [];
  private queuedResults = 0;
  private inFlight = 0;
  /** A group is about to take the queued batches (it waits one turn of the event loop for more). */
  private gathering = false;
  /**
   * Measured handling rate, results per millisecond (moving average over groups): a group's results over the
   * time since the later of its start and the previous group's end, so that groups handled side by side
   * (`concurrency`) count as the throughput they give, not each one's latency.
   */
  private rate: number | undefined;
  private lastEnd = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  readonly stats = { groups: 0, batches: 0, results: 0, splits: 0, refused: 0 };

  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly options: GroupCommitOptions,
    private readonly onGroup?: (g: { batches: number; results: number; ms: number }) => void,
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Whether a batch of `results` may queue now; if not, when to come back. */
  admit(results: number): Admission {
    if (this.rate === undefined || this.queuedResults === 0) return { ok: true };
    const waitMs = (this.queuedResults + results) / this.rate;
    if (waitMs <= this.options.maxQueueMs) return { ok: true };
    this.stats.refused++;
    return {
      ok: false,
      retryAfterMs: Math.min(60_000, Math.ceil(waitMs)),
      reason: `collector over capacity: ${this.queuedResults} results queued, about ${Math.ceil(waitMs)} ms of work`,
    };
  }

  /** Queues a batch; resolves with it once handled and committed, rejects when it could not be. */
  submit(input: BatchInput): Promise<IngestBatch> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.queuedResults += input.results.length;
      this.kick();
    });
  }

  /** Results waiting for a group. */
  backlog(): number {
    return this.queuedResults;
  }

  /** Starts a group when there is room and none is already gathering batches. */
  private kick(): void {
    if (this.gathering || this.inFlight >= this.options.concurrency || this.queue.length === 0) return;
    this.gathering = true;
    this.inFlight++;
    void this.runGroup().finally(() => {
      this.inFlight--;
      this.kick();
    });
  }

  private take(): Entry[] {
    const first = this.queue.shift() as Entry;
    const entries = [first];
    let results = first.input.results.length;
    while (this.queue.length > 0 && entries.length < this.options.maxBatches) {
      const next = this.queue[0] as Entry;
      if (results + next.input.results.length > this.options.maxResults) break;
      entries.push(this.queue.shift() as Entry);
      results += next.input.results.length;
    }
    this.queuedResults -= results;
    return entries;
  }

  private async runGroup(): Promise<void> {
    // Batches submitted in the same turn of the event loop join this group.
    await yieldToEventLoop();
    this.gathering = false;
    const entries = this.take();
    this.kick();
    const t0 = this.now();
    const batches = entries.map((e) => batchOf(e.input));
    try {
      await this.pipeline.process({ batches });
      this.measure(batches, t0, this.now());
      for (const [i, e] of entries.entries()) e.resolve(batches[i] as IngestBatch);
    } catch (err) {
      if (entries.length === 1) {
        (entries[0] as Entry).reject(err as Error);
        return;
      }
      // One bad batch must not fail the others: handle each alone.
      this.stats.splits++;
      for (const e of entries) {
        const b = batchOf(e.input);
        try {
          await this.pipeline.process({ batches: [b] } satisfies IngestGroup);
          e.resolve(b);
        } catch (one) {
          e.reject(one as Error);
        }
      }
    }
  }

  private measure(batches: IngestBatch[], start: number, end: number): void {
    const results = batches.reduce((n, b) => n + b.results.length, 0);
    this.stats.groups++;
    this.stats.batches += batches.length;
    this.stats.results += results;
    this.onGroup?.({ batches: batches.length, results, ms: end - start });
    const ms = end - Math.max(start, this.lastEnd);
    this.lastEnd = Math.max(this.lastEnd, end);
    if (results < 50 || ms <= 0) return;
    const r = results / ms;
    this.rate = this.rate === undefined ? r : this.rate * 0.8 + r * 0.2;
  }
}

function batchOf(i: BatchInput): IngestBatch {
  return newBatch(i.session, i.host, i.batchId, i.results, i.receivedAt, i.sentAt);
}
