// Runs one check once: applies its timeout, turns throws and timeouts into `unknown`, stamps the Result.
import type { Result } from '@vigie/shared';
import type { CheckDefinition } from '../config/schema.js';
import type { CheckOutcome, CheckPlugin } from './types.js';

export interface RunnerDeps {
  now: () => Date;
  newId: () => string;
  /** Per-check state kept between runs. */
  stateFor: (checkId: string) => Map<string, unknown>;
}

export interface CheckRun {
  result: Result;
  snapshot: Record<string, string> | undefined;
  /** Settles when the plugin's own promise settles, which may be after a timeout. */
  settled: Promise<void>;
}

export async function runCheck(
  def: CheckDefinition,
  plugin: CheckPlugin,
  deps: RunnerDeps,
): Promise<CheckRun> {
  const started = deps.now();
  const t0 = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const work = Promise.resolve().then(() =>
    plugin.run(def.options, { signal: controller.signal, now: deps.now, state: deps.stateFor(def.id) }),
  );
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  const timeout = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${def.timeoutMs} ms`));
      resolve({ status: 'unknown', metrics: {}, message: `check timed out after ${def.timeoutMs} ms` });
    }, def.timeoutMs);
  });
  let outcome: CheckOutcome;
  try {
    outcome = await Promise.race([work, timeout]);
  } catch (err) {
    outcome = {
      status: 'unknown',
      metrics: {},
      message: `check failed: ${(err as Error).message ?? String(err)}`,
    };
  } finally {
    clearTimeout(timer);
  }
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(outcome.metrics)) if (Number.isFinite(v)) metrics[k] = v;
  return {
    result: {
      id: deps.newId(),
      checkId: def.id,
      type: def.type,
      category: outcome.category ?? plugin.category,
      status: outcome.status,
      metrics,
      message: outcome.message.slice(0, 2000),
      observedAt: started.toISOString(),
      durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
    },
    snapshot: outcome.snapshot,
    settled,
  };
}
