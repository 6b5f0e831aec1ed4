import { describe, expect, it } from 'vitest';
import { ClockStage } from './clock.js';
import { HostState } from './host-state.js';
import { newBatch } from './pipeline.js';
import { TEST_SESSION } from './testing.js';

const session = TEST_SESSION;
const RECEIVED = Date.parse('2026-12-04T03:00:00.000Z');

/** The time the stage gives a result observed 60 s before the agent sent its batch, sent `skew` ms off. */
function timed(skew: number): { at: number; clock: string | undefined; skewMs: number | undefined } {
  const sentAt = RECEIVED + skew;
  const result = {
    id: 'r1',
    checkId: 'c',
    type: 'probe',
    category: 'performance' as const,
    status: 'ok' as const,
    metrics: {},
    message: '',
    observedAt: new Date(sentAt - 60_000).toISOString(),
    durationMs: 1,
  };
  const b = newBatch(session, new HostState('t', 'h'), 'b1', [result], RECEIVED, sentAt);
  b.accepted.push({ result, at: 0, observedAt: '', late: false });
  new ClockStage({ toleranceMs: 2000, staleAfterMs: 600_000 }).run({ batches: [b] });
  const a = b.accepted[0] as (typeof b.accepted)[number];
  return { at: a.at, clock: a.clock, skewMs: b.skewMs };
}

describe('clock stage', () => {
  it('moves results of a clock ahead past the tolerance onto the collector clock', () => {
    expect(timed(5_000)).toEqual({ at: RECEIVED - 60_000, clock: 'corrected', skewMs: 5_000 });
    expect(timed(1_500)).toEqual({ at: RECEIVED + 1_500 - 60_000, clock: undefined, skewMs: 1_500 });
  });

  it('leaves alone a batch that looks behind by less than the ack timeout: it may only have waited', () => {
    // Received 10 s after it was sent (a busy collector, a full socket): the same times as without the wait,
    // so a replay handled elsewhere without the wait writes the same points.
    expect(timed(-10_000)).toEqual({ at: RECEIVED - 10_000 - 60_000, clock: undefined, skewMs: -10_000 });
    expect(timed(-29_000).clock).toBeUndefined();
  });

  it('moves results of a clock behind past the ack timeout (days behind still get their tickets)', () => {
    expect(timed(-31_000)).toEqual({ at: RECEIVED - 60_000, clock: 'corrected', skewMs: -31_000 });
    expect(timed(-10 * 86_400_000)).toMatchObject({ at: RECEIVED - 60_000, clock: 'corrected' });
  });
});
