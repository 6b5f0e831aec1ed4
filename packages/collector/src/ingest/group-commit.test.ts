// Group commit: batches waiting while a group runs form the next group (within its bounds), a lone batch
// starts at once, a failing group is retried batch by batch, and past capacity new batches are refused with
// the delay to come back after.
import { describe, expect, it } from 'vitest';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';
import { HostState } from './host-state.js';
import { type AgentSession, type IngestGroup, IngestPipeline, type Stage } from './pipeline.js';

const session: AgentSession = {
  sessionId: 's',
  tenantId: 't',
  tokenId: 'k',
  agentId: 'a',
  host: 'h',
  environment: 'production',
  application: 'app',
  protocol: 2,
};

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
