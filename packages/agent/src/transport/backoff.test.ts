import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, scaled by the injected random (full jitter)', () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, 1000, 60_000, top)).toBe(999);
    expect(backoffDelay(3, 1000, 60_000, top)).toBe(7999);
    expect(backoffDelay(20, 1000, 60_000, top)).toBe(59_999);
  });
  it('never goes below half the minimum, so a zero draw does not hammer the collector', () => {
    expect(backoffDelay(5, 1000, 60_000, () => 0)).toBe(500);
  });
});
