// Screening of a results batch: what the collector cannot store (one metric, or a whole result) is dropped and
// named by its path, never refusing the batch, so that one odd value cannot strand an agent on a batch it would
// send again forever.
import { METRIC_LIMITS, metricProblem, type Result } from '../result.js';

/** A part of a results batch that was left out, with the JSON pointer of where it was and why. */
export interface Dropped {
  what: 'metric' | 'result';
  path: string;
  reason: string;
}

/** JSON pointer escaping of one key (RFC 6901): `~` is `~0`, `/` is `~1`. */
export function pointerKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The results that can be stored, with their storable metrics only, and what was dropped. `check` is the
 * compiled check of ResultSchema and `describe` its error text (both from parse.ts, which caches them).
 */
export function screenResults(
  raw: readonly unknown[],
  check: (value: unknown) => boolean,
  describe: (value: unknown) => string,
): { results: Result[]; dropped: Dropped[] } {
  const results: Result[] = [];
  const dropped: Dropped[] = [];
  raw.forEach((item, i) => {
    const at = `/results/${i}`;
    let candidate = item;
    if (isPlainObject(item) && isPlainObject(item.metrics)) {
      const kept: Array<[string, unknown]> = [];
      for (const [name, value] of Object.entries(item.metrics)) {
        const problem =
          kept.length >= METRIC_LIMITS.perResult
            ? `over ${METRIC_LIMITS.perResult} metrics in one result`
            : metricProblem(name, value);
        if (problem)
          dropped.push({ what: 'metric', path: `${at}/metrics/${pointerKey(cut(name))}`, reason: problem });
        else kept.push([name, value]);
      }
      // fromEntries defines own keys: a `__proto__` key could not reach the prototype (it is refused anyway).
      candidate = { ...item, metrics: Object.fromEntries(kept) };
    }
    if (check(candidate)) results.push(candidate as Result);
    else dropped.push({ what: 'result', path: at, reason: cut(prefixPaths(describe(candidate), at), 500) });
  });
  return { results, dropped };
}

/** Bounded text: a name may be as long as a frame, and drops are logged and sent back to the agent. */
function cut(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `/status: Expected ...; /: Expected ...` under `/results/3`. */
function prefixPaths(errors: string, at: string): string {
  return errors
    .split('; ')
    .map((e) => (e.startsWith('/:') ? `${at}${e.slice(1)}` : `${at}${e}`))
    .join('; ');
}
