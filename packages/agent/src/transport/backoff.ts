// Reconnect delays: exponential backoff with full jitter (AWS architecture blog's "full jitter").
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.max(minMs / 2, Math.floor(random() * ceiling));
}
