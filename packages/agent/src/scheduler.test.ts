import { Type } from '@sinclair/typebox';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CheckRun } from './checks/runner.js';
import { type CheckPlugin, defineCheck } from './checks/types.js';
import type { CheckDefinition } from './config/schema.js';
import { Scheduler } from './scheduler.js';

const def = (type: string, timeoutMs = 1000): CheckDefinition => ({
  id: `c-${type}`,
  type,
  schedule: '* * * * *',
  timeoutMs,
  options: {},
});

function plugins(map: Record<string, CheckPlugin['run']>) {
  return (type: string): CheckPlugin | undefined =>
    map[type]
      ? defineCheck({
          type,
          category: 'performance',
          summary: type,
          options: Type.Object({}),
          run: map[type],
        })
      : undefined;
}

describe('Scheduler', () => {
  const fixedNow = () => new Date('2026-11-28T12:00:00.000Z');

  it('stamps a result with id, check, type, category, time and duration', async () => {
    const s = new Scheduler(
      [],
      { onResult() {}, onSkipped() {} },
      {
        now: fixedNow,
        lookup: plugins({
          good: async () => ({ status: 'warning', metrics: { x: 1, bad: Number.NaN }, message: 'meh' }),
        }),
      },
    );
    const { result } = await s.runOnce(def('good'));
    expect(result).toMatchObject({
      checkId: 'c-good',
      type: 'good',
      category: 'performance',
      status: 'warning',
      metrics: { x: 1 },
      message: 'meh',
      observedAt: '2026-11-28T12:00:00.000Z',
    });
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('turns a throw into unknown with the reason', async () => {
    const s = new Scheduler(
      [],
      { onResult() {}, onSkipped() {} },
      {
        lookup: plugins({
          boom: async () => {
            throw new Error('permission denied on /etc/shadow');
          },
        }),
      },
    );
    const { result } = await s.runOnce(def('boom'));
    expect(result.status).toBe('unknown');
    expect(result.message).toContain('permission denied on /etc/shadow');
  });

  it('turns a timeout into unknown, aborts the check, and skips runs while the previous one is still going', async () => {
    let aborted = false;
    let release: () => void = () => {};
    const hang: CheckPlugin['run'] = (_o, ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
        });
        // Ignores the abort on purpose, like a stuck child process, until the test releases it.
        release = () => resolve({ status: 'ok', metrics: {}, message: 'late' });
      });
    const results: CheckRun[] = [];
    const skipped: string[] = [];
    const s = new Scheduler(
      [],
      { onResult: (r) => results.push(r), onSkipped: (id) => skipped.push(id) },
      { lookup: plugins({ hang }) },
    );
    const d = def('hang', 30);
    await s.tick(d);
    expect(results[0]?.result.status).toBe('unknown');
    expect(results[0]?.result.message).toContain('timed out after 30 ms');
    expect(aborted).toBe(true);
    await s.tick(d); // previous run has not settled: no overlap
    expect(skipped).toEqual(['c-hang']);
    release();
    await results[0]?.settled;
    await s.tick(d);
    expect(results).toHaveLength(2);
  });

  describe('on its clock', () => {
    afterEach(() => vi.useRealTimers());

    it('runs each check at the seconds its schedule names, and not after stop', async () => {
      vi.useFakeTimers();
      vi.setSystemTime(new Date(2026, 10, 28, 12, 0, 0, 400)); // local time: schedules are in the host's zone
      const seen: string[] = [];
      const s = new Scheduler(
        [
          { ...def('fast'), schedule: '*/2 * * * * *' },
          { ...def('slow'), schedule: '5 * * * * *' },
        ],
        {
          onResult: (run) =>
            seen.push(`${run.result.checkId}@${new Date(run.result.observedAt).getSeconds()}`),
          onSkipped() {},
        },
        {
          runAtStart: false,
          lookup: plugins({
            fast: async () => ({ status: 'ok', metrics: {}, message: '' }),
            slow: async () => ({ status: 'ok', metrics: {}, message: '' }),
          }),
        },
      );
      s.start();
      await vi.advanceTimersByTimeAsync(6_000);
      await s.stop();
      await vi.advanceTimersByTimeAsync(4_000);
      expect(seen).toEqual(['c-fast@2', 'c-fast@4', 'c-slow@5', 'c-fast@6']);
    });
  });
});
