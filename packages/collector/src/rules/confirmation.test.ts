import type { Status } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import { type CheckMemory, INITIAL_MEMORY, observe } from './confirmation.js';

const policy = { failures: 3, recoveries: 2, flapChanges: 5, flapWindowMs: 600_000 };

function run(statuses: Status[], start: CheckMemory = INITIAL_MEMORY, stepMs = 60_000) {
  let m = start;
  const out = [];
  for (const [i, s] of statuses.entries()) {
    const t = observe(m, s, i * stepMs, policy);
    out.push(t);
    m = t.memory;
  }
  return out;
}

describe('soft and hard states', () => {
  it('needs N consecutive failures before the hard state changes, and M oks to recover', () => {
    const t = run(['critical', 'critical', 'critical', 'ok', 'critical', 'ok', 'ok']);
    expect(t.map((x) => x.memory.hard)).toEqual([
      'ok',
      'ok',
      'critical',
      'critical',
      'critical',
      'critical',
      'ok',
    ]);
    expect(t.map((x) => x.hardChanged)).toEqual([false, false, true, false, false, false, true]);
  });

  it('an interrupted run of failures starts again', () => {
    const t = run(['warning', 'warning', 'ok', 'warning', 'warning']);
    expect(t.every((x) => x.memory.hard === 'ok')).toBe(true);
  });

  it('raises severity at once while already failing', () => {
    const t = run(['warning', 'warning', 'warning', 'critical']);
    expect(t.map((x) => x.memory.hard)).toEqual(['ok', 'ok', 'warning', 'critical']);
  });

  it('detects flapping from state changes in the window, and its end when the check settles', () => {
    const t = run([
      'critical',
      'ok',
      'critical',
      'ok',
      'critical',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
    ]);
    const started = t.findIndex((x) => x.flapStarted);
    expect(started).toBe(4); // the 5th change within 10 minutes
    const ended = t.findIndex((x) => x.flapEnded);
    expect(ended).toBeGreaterThan(started);
    // It ends once at most one change is left in the 10-minute window: the last change was at minute 5.
    expect(ended).toBe(14);
    expect(t.filter((x) => x.hardChanged).length).toBe(0); // never confirmed: no ticket churn
  });
});
