import { describe, expect, it } from 'vitest';
import { isRetryableStatus } from './types.js';

describe('which HTTP statuses are worth retrying', () => {
  it('retries request timeouts, rate limits and server errors', () => {
    expect([408, 429, 500, 502, 503, 504].map(isRetryableStatus)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it('does not retry what the receiver refuses for good, nor redirects it will repeat', () => {
    expect([400, 401, 403, 404, 409, 410, 413, 422, 301, 302].map(isRetryableStatus)).toEqual(
      new Array(10).fill(false),
    );
  });
});
