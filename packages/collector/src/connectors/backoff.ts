// When to retry a failed delivery: exponential backoff with full jitter, so receivers coming back up are not
// hit by every collector at once.

export interface Backoff {
  /** The ceiling of the first retry's delay. */
  minMs: number;
  /** The largest ceiling; delays stop growing there. */
  maxMs: number;
}

/**
 * A delay drawn uniformly in [0, min(maxMs, minMs * 2^(attempt - 1))), `attempt` counting from 1; never shorter
 * than what the receiver asked for (Retry-After), itself capped at maxMs.
 */
export function retryDelayMs(
  attempt: number,
  backoff: Backoff,
  random: () => number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, backoff.maxMs));
}
