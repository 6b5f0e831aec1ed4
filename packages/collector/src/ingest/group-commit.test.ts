// Group commit: batches waiting while a group runs form the next group (within its bounds), a lone batch
// starts at once, a failing group is retried batch by batch, and past capacity new batches are refused with
// the delay to come back after.
import { describe, expect, it } from 'vitest';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';
import { HostState } from './host-state.js';
import { type IngestGroup, IngestPipeline, type Stage } from './pipeline.js';
import { TEST_SESSION } from './testing.js';

const session = TEST_SESSION;

/** A stage that records each group's size and holds it until released. */
class Gate implements Stage {
  readonly name = 'gate';
  readonly groups: number[] = [];
  private release: Array<() => void> = [];
  failWhen: (g: IngestGroup) => boolean = () => false;
  async run(group: IngestGroup): Promise<void> {
    this.groups.push(group.batches.length);
    await new Promise<void>((r) => this.release.push(r));
    if (this.failWhen(group)) throw new Error('refused');
  }
  open(): void {
    for (const r of this.release.splice(0)) r();
  }
}

function input(results: number, id = 'b') {
  return {
    session,
    host: new HostState('t', 'h'),
    batchId: id,
    results: Array.from({ length: results }, () => ({
      id: 'x',
      checkId: 'c',
      type: 't',
      category: 'performance' as const,
      status: 'ok' as const,
      metrics: {},
      message: '',
      observedAt: new Date(0).toISOString(),
      durationMs: 0,
    })),
    receivedAt: 0,
  };
}

const OPTIONS: GroupCommitOptions = { maxBatches: 3, maxResults: 100, concurrency: 1, maxQueueMs: 50 };

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('group commit', () => {
  it('starts a lone batch at once and gathers the batches that wait into the next group, within bounds', async () => {
    const gate = new Gate();
    const gc = new GroupCommit(new IngestPipeline([gate]), OPTIONS);
    const first = gc.submit(input(1));
    await settle();
    expect(gate.groups).toEqual([1]);
    const waiting = [1, 2, 3, 4].map((i) => gc.submit(input(1, `w${i}`)));
    await settle();
    gate.open();
    await first;
    await settle();
    expect(gate.groups).toEqual([1, 3]); // at most maxBatches per group
    gate.open();
    await settle();
    gate.open();
    await Promise.all(waiting);
    expect(gate.groups).toEqual([1, 3, 1]);
    expect(gc.stats).toMatchObject({ groups: 3, batches: 5 });
  });

  it('retries a failed group batch by batch: only the bad one fails', async () => {
    const gate = new Gate();
    gate.failWhen = (g) => g.batches.some((b) => b.batchId === 'bad');
    const gc = new GroupCommit(new IngestPipeline([gate]), { ...OPTIONS, maxBatches: 10 });
    const blocker = gc.submit(input(1, 'first'));
    await settle();
    const outcomes = Promise.allSettled(['ok1', 'bad', 'ok2'].map((id) => gc.submit(input(1, id))));
    for (let i = 0; i < 6; i++) {
      gate.open();
      await settle();
    }
    await blocker;
    const settled = await outcomes;
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(gc.stats.splits).toBe(1);
  });

  it('measures throughput, not latency, when groups run side by side', async () => {
    const gate = new Gate();
    let clock = 0;
    const gc = new GroupCommit(new IngestPipeline([gate]), {
      ...OPTIONS,
      maxBatches: 1,
      concurrency: 2,
      maxQueueMs: 100,
      now: () => clock,
    });
    // Two groups of 100 results run side by side, each for 100 ms, ending 10 ms apart.
    const a = gc.submit(input(100, 'a'));
    await settle();
    const b = gc.submit(input(100, 'b'));
    await settle();
    expect(gate.groups).toEqual([1, 1]);
    clock = 100;
    gate.open();
    await Promise.all([a, b]);
    // a: 100 results in 100 ms (1/ms); b ended with it (no time of its own: not a sample).
    const c = gc.submit(input(100, 'c'));
    await settle();
    const d = gc.submit(input(100, 'd'));
    await settle();
    clock = 200;
    gate.open();
    await c;
    clock = 210;
    gate.open();
    await d;
    // c: 100 results in 100 ms (1/ms); d: 100 more in the 10 ms since c ended (10/ms): 2.8/ms on average.
    // e and f start at once (concurrency 2) and g waits: one more result would wait about 36 ms, within the
    // 100 ms bound. Measured by each group's latency (about 1/ms), it would wait 101 ms: refused.
    const queued = [gc.submit(input(100, 'e')), gc.submit(input(100, 'f')), gc.submit(input(100, 'g'))];
    await settle();
    expect(gc.admit(1)).toEqual({ ok: true });
    for (let i = 0; i < 4; i++) {
      gate.open();
      await settle();
    }
    await Promise.all(queued);
  });

  it('refuses a batch that would wait past maxQueueMs, saying when to come back', async () => {
    const gate = new Gate();
    const gc = new GroupCommit(new IngestPipeline([gate]), { ...OPTIONS, maxBatches: 1 });
    // Learn the rate: one group of 100 results in about 20 ms.
    const learning = gc.submit(input(100));
    await settle();
    await new Promise((r) => setTimeout(r, 20));
    gate.open();
    await learning;
    expect(gc.admit(100)).toEqual({ ok: true }); // nothing queued: no wait
    const queued = [gc.submit(input(100)), gc.submit(input(100)), gc.submit(input(100))];
    await settle();
    const refused = gc.admit(100);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.retryAfterMs).toBeGreaterThan(OPTIONS.maxQueueMs);
      expect(refused.reason).toMatch(/over capacity/);
    }
    for (let i = 0; i < 4; i++) {
      gate.open();
      await settle();
    }
    await Promise.all(queued);
    expect(gc.admit(100)).toEqual({ ok: true });
  });
});
