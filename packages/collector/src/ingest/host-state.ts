// The hot state of each host whose agent is connected here: its checks' last states (status, soft/hard
// memory, last result) and the high-water mark of its result stream, loaded from the store once at hello.
// Evaluation, confirmation and flapping run on it in memory; the store gets material changes inside each
// group's transaction, and the rest (latest metrics, message, last-seen time) written behind about once a
// second. A host's batches are handled one at a time (its queue), whichever session they come from.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Metrics, Status } from '@vigie/shared';
import { type CheckMemory, INITIAL_MEMORY } from '../rules/confirmation.js';
import type { CheckStateTable } from '../store/schema.js';
import type { BehindWrite, IngestStore } from './store/types.js';

/** Rows (check states, last-seen times) in one write-behind transaction. */
const BEHIND_SLICE_ROWS = 500;

export interface CheckState {
  checkId: string;
  type: string;
  category: string;
  /** The evaluated status (agent and rules). */
  status: Status;
  agentStatus: Status;
  message: string;
  metrics: Metrics;
  observedAt: string;
  /** `observedAt` in milliseconds, for comparisons. */
  at: number;
  resultId: string;
  memory: CheckMemory;
  rules: Record<string, string>;
}

export class HostState {
  readonly checks = new Map<string, CheckState>();
  /** Committed high-water mark per stream epoch (protocol 2). */
  readonly streams = new Map<string, number>();
  /** Epochs the store holds a row for: a stream the store never saw gets its first batch checked by id. */
  readonly knownEpochs = new Set<string>();
  /** Checks whose latest result is not in the store yet (written behind). */
  readonly behind = new Set<string>();
  agentId = '';
  lastSeenMs: number | undefined;
  lastSeenDirty = false;
  clockSkewMs: number | null = null;
  /** Sessions using this state now. */
  sessions = 0;
  /** The generation of the host's lease this state was loaded under (see cluster/). */
  generation = 0;
  /** Replaced by a newer state (the lease changed hands): batches on this one must not commit. */
  retired = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly tenantId: string,
    readonly host: string,
  ) {}

  /** Runs `fn` after every earlier piece of work of this host. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Drains the host's queue (at close). */
  idle(): Promise<unknown> {
    return this.queue;
  }

  row(c: CheckState): CheckStateTable {
    return {
      tenant_id: this.tenantId,
      host: this.host,
      check_id: c.checkId,
      type: c.type,
      category: c.category,
      status: c.status,
      agent_status: c.agentStatus,
      message: c.message,
      metrics: JSON.stringify(c.metrics),
      observed_at: c.observedAt,
      result_id: c.resultId,
      memory: JSON.stringify(c.memory),
      rules: JSON.stringify(c.rules),
    };
  }
}

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    // A damaged row (hand-edited store) restarts that check's memory rather than blocking the host.
    return fallback;
  }
}

function fromRow(r: CheckStateTable): CheckState {
  const memory = parseJson<CheckMemory>(r.memory, INITIAL_MEMORY);
  return {
    checkId: r.check_id,
    type: r.type,
    category: r.category,
    status: r.status as Status,
    agentStatus: r.agent_status as Status,
    message: r.message,
    metrics: parseJson<Metrics>(r.metrics, {}),
    observedAt: r.observed_at,
    at: Date.parse(r.observed_at),
    resultId: r.result_id,
    memory: memory.hard === undefined ? INITIAL_MEMORY : memory,
    rules: parseJson<Record<string, string>>(r.rules, {}),
  };
}

/** Every host state held here, keyed `tenant/host`, and the write-behind of their latest results. */
export class HostStates {
  private readonly hosts = new Map<string, HostState>();
  private readonly loading = new Map<string, Promise<HostState>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: IngestStore,
    private readonly deps: { now: () => Date; onError: (err: Error) => void },
  ) {}

  get(tenantId: string, host: string): HostState | undefined {
    return this.hosts.get(`${tenantId}/${host}`);
  }

  size(): number {
    return this.hosts.size;
  }

  /**
   * The host's state for a new session: the one held here when it was loaded under the same lease generation
   * (a reconnect, or a session replacing another), else loaded from the store (the one held here is stale:
   * another collector owned the host meanwhile). With an epoch, the stream's high-water mark is loaded too.
   */
  async acquire(
    tenantId: string,
    host: string,
    epoch: string | undefined,
    generation = 0,
  ): Promise<HostState> {
    const key = `${tenantId}/${host}`;
    let state = this.hosts.get(key);
    if (state && state.generation !== generation) {
      this.evict(tenantId, host);
      // Its last batch (failing now: retired) ends before the store is read again.
      await state.idle();
      state = undefined;
    }
    if (!state) {
      let pending = this.loading.get(key);
      if (!pending) {
        pending = this.load(tenantId, host, epoch, generation).finally(() => this.loading.delete(key));
        this.loading.set(key, pending);
      }
      state = await pending;
    } else if (epoch && !state.streams.has(epoch)) {
      const record = await this.store.loadHost(tenantId, host, epoch);
      if (record.highWater !== undefined && !state.streams.has(epoch)) {
        state.streams.set(epoch, record.highWater);
        state.knownEpochs.add(epoch);
      }
    }
    state.sessions++;
    return state;
  }

  private async load(
    tenantId: string,
    host: string,
    epoch: string | undefined,
    generation: number,
  ): Promise<HostState> {
    const record = await this.store.loadHost(tenantId, host, epoch);
    const state = new HostState(tenantId, host);
    state.generation = generation;
    for (const r of record.checks) state.checks.set(r.check_id, fromRow(r));
    if (epoch && record.highWater !== undefined) {
      state.streams.set(epoch, record.highWater);
      state.knownEpochs.add(epoch);
    }
    this.hosts.set(`${tenantId}/${host}`, state);
    return state;
  }

  /** A session ended; returns how many sessions still use the host's state here. */
  release(state: HostState): number {
    state.sessions = Math.max(0, state.sessions - 1);
    return state.sessions;
  }

  /** Forgets a host's state (its lease is given up, or another collector owns it: its state moved). */
  evict(tenantId: string, host: string): void {
    const key = `${tenantId}/${host}`;
    const state = this.hosts.get(key);
    if (state) state.retired = true;
    this.hosts.delete(key);
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      void this.flush();
    }, intervalMs);
    this.timer.unref();
  }

  /** Writes what waits behind, in one transaction (errors reported, and retried at the next flush). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.flushNow([...this.hosts.values()])
      .catch((err: Error) => this.deps.onError(err))
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  /** Writes one host's pending state now (before its lease is given up); rejects on failure. */
  async flushHost(state: HostState): Promise<void> {
    await this.flushing;
    await this.flushNow([state]);
  }

  private async flushNow(hosts: HostState[]): Promise<void> {
    const pending: Array<{ h: HostState; ids: string[]; seen: boolean }> = [];
    for (const h of hosts) {
      const ids = [...h.behind];
      const seen = h.lastSeenDirty && h.agentId !== '' && h.lastSeenMs !== undefined;
      if (ids.length > 0 || seen) pending.push({ h, ids, seen });
    }
    if (pending.length === 0) return;
    // Cleared first: a result committed during the write marks its check again, to be written next time.
    for (const { h, ids, seen } of pending) {
      for (const id of ids) h.behind.delete(id);
      if (seen) h.lastSeenDirty = false;
    }
    // In slices of about BEHIND_SLICE_ROWS rows, each its own short transaction with a turn of the event loop
    // in between: writing thousands of checks behind never holds the thread (acks, the API) for long.
    let done = 0;
    try {
      while (done < pending.length) {
        let end = done;
        let rows = 0;
        while (end < pending.length && (end === done || rows < BEHIND_SLICE_ROWS)) {
          const p = pending[end] as (typeof pending)[number];
          rows += p.ids.length + (p.seen ? 1 : 0);
          end++;
        }
        await this.writeBehindSlice(pending.slice(done, end));
        done = end;
        if (done < pending.length) await yieldToEventLoop();
      }
    } catch (err) {
      for (const { h, ids, seen } of pending.slice(done)) {
        for (const id of ids) h.behind.add(id);
        if (seen) h.lastSeenDirty = true;
      }
      throw err;
    }
  }

  private async writeBehindSlice(
    pending: Array<{ h: HostState; ids: string[]; seen: boolean }>,
  ): Promise<void> {
    await this.store.transaction(async (tx) => {
      const held = await tx.fence(
        pending
          .filter(({ h }) => !h.retired)
          .map(({ h }) => ({ key: `${h.tenantId}/${h.host}`, generation: h.generation })),
      );
      const write: BehindWrite = { checkStates: [], agents: [] };
      for (const { h, ids, seen } of pending) {
        // A host another collector owns now: what is held here is older than what it writes.
        if (!held.has(`${h.tenantId}/${h.host}`)) continue;
        for (const id of ids) {
          const c = h.checks.get(id);
          if (c) write.checkStates.push(h.row(c));
        }
        if (seen) {
          write.agents.push({
            id: h.agentId,
            last_seen: new Date(h.lastSeenMs as number).toISOString(),
            clock_skew_ms: h.clockSkewMs,
          });
        }
      }
      await tx.writeBehind(write);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.hosts.values()].map((h) => h.idle()));
    await this.flush();
  }
}
