import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff.js';

const backoff = { minMs: 1000, maxMs: 60_000 };

describe('retry backoff', () => {
  it('doubles its ceiling with each attempt, up to maxMs', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 30, 1000].map((attempt) =>
      retryDelayMs(attempt, backoff, () => 1),
    );
    expect(ceilings).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000]);
  });

  it('draws the delay anywhere below the ceiling (full jitter)', () => {
    expect(retryDelayMs(4, backoff, () => 0)).toBe(0);
    expect(retryDelayMs(4, backoff, () => 0.25)).toBe(2000);
    expect(retryDelayMs(4, backoff, () => 0.999_999)).toBe(7999);
  });

  it('waits at least as long as the receiver asked, but no longer than maxMs', () => {
    expect(retryDelayMs(1, backoff, () => 0.5, 30_000)).toBe(30_000);
    expect(retryDelayMs(1, backoff, () => 0.5, 3_600_000)).toBe(60_000);
    expect(retryDelayMs(8, backoff, () => 0.9, 1000)).toBe(54_000);
  });
});
