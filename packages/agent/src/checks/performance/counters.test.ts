import { describe, expect, it } from 'vitest';
import { errorCode, isNameResolutionError, rootCause } from './connection-errors.js';
import {
  counterDeltas,
  elapsedMs,
  exchangeSample,
  formatBytes,
  perSecond,
  ratesByInstance,
} from './counters.js';

describe('counters between runs', () => {
  it('keeps the previous sample in the check state', () => {
    const state = new Map<string, unknown>();
    expect(exchangeSample(state, 'k', { atMs: 1, values: { a: 1 } })).toBeUndefined();
    expect(exchangeSample(state, 'k', { atMs: 2, values: { a: 5 } })).toEqual({ atMs: 1, values: { a: 1 } });
  });

  it('has no interval when the clock did not move forward', () => {
    expect(elapsedMs({ atMs: 1000, values: 0 }, { atMs: 3500, values: 0 })).toBe(2500);
    expect(elapsedMs({ atMs: 1000, values: 0 }, { atMs: 1000, values: 0 })).toBeUndefined();
    expect(elapsedMs({ atMs: 1000, values: 0 }, { atMs: 10, values: 0 })).toBeUndefined();
  });

  it('treats a counter that went down as a reset, not as a negative rate', () => {
    expect(counterDeltas({ a: 10, b: 5 }, { a: 15, b: 5 })).toEqual({ a: 5, b: 0 });
    expect(counterDeltas({ a: 10, b: 5 }, { a: 15, b: 4 })).toBeUndefined();
  });

  it('gives rates per instance measured on both runs only', () => {
    const rates = ratesByInstance(
      { atMs: 0, values: { sda: { n: 100 }, sdb: { n: 50 } } },
      { atMs: 2000, values: { sda: { n: 300 }, sdb: { n: 10 }, sdc: { n: 7 } } },
      (d, ms) => perSecond(d.n, ms),
    );
    // sdb was reset, sdc is new.
    expect([...rates]).toEqual([['sda', 100]]);
    expect(ratesByInstance(undefined, { atMs: 0, values: { sda: { n: 1 } } }, () => 1).size).toBe(0);
  });

  it('formats byte counts for messages', () => {
    expect([0, 1023, 1024, 1536 * 1024, 5 * 1024 ** 4 * 1024].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 MiB',
      '5120.0 TiB',
    ]);
  });
});

describe('connection errors', () => {
  it('reads the code of the first attempt of an aggregate error', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:80'), { code: 'ECONNREFUSED' });
    const aggregate = new AggregateError([refused, new Error('second')], '');
    expect(rootCause(aggregate)).toBe(refused);
    expect(errorCode(aggregate)).toBe('ECONNREFUSED');
    expect(isNameResolutionError(Object.assign(new Error('getaddrinfo'), { code: 'EAI_AGAIN' }))).toBe(true);
    expect(isNameResolutionError(refused)).toBe(false);
  });
});
