// Cumulative kernel counters (/proc/stat, /proc/diskstats, /proc/net/dev) turned into per-run deltas and
// rates: the previous reading is kept in the check's state, so each run measures "since the previous run".

/** One reading of counters, stamped with the time it was taken. */
export interface Sample<T> {
  atMs: number;
  values: T;
}

/** Counters of several instances (disks, interfaces) keyed by instance name. */
export type InstanceCounters<K extends string> = Readonly<Record<string, Readonly<Record<K, number>>>>;

/**
 * Stores `current` under `key` and returns the reading it replaces, or undefined on the first run.
 * Only this function writes `key`, so what it reads back is a sample of the same type.
 */
export function exchangeSample<T>(
  state: Map<string, unknown>,
  key: string,
  current: Sample<T>,
): Sample<T> | undefined {
  const previous = state.get(key) as Sample<T> | undefined;
  state.set(key, current);
  return previous;
}

/**
 * Milliseconds between two samples, or undefined when the clock did not move forward (two runs in the same
 * millisecond, or the wall clock was set back): no rate can be computed then.
 */
export function elapsedMs(previous: Sample<unknown>, current: Sample<unknown>): number | undefined {
  const elapsed = current.atMs - previous.atMs;
  return elapsed > 0 ? elapsed : undefined;
}

/**
 * How much each counter grew between two readings of the same source, or undefined when any of them went
 * down: the counters wrapped or were reset (device re-attached, driver reloaded), so this interval
 * cannot be measured and the current reading becomes the new baseline.
 */
export function counterDeltas<K extends string>(
  previous: Readonly<Record<K, number>>,
  current: Readonly<Record<K, number>>,
): Record<K, number> | undefined {
  const deltas = {} as Record<K, number>;
  for (const key of Object.keys(current) as K[]) {
    const delta = current[key] - previous[key];
    if (!(delta >= 0)) return undefined;
    deltas[key] = delta;
  }
  return deltas;
}

/**
 * Per-instance (disk, interface) deltas between two readings keyed by instance name: undefined for an
 * instance that is new since the previous run or whose counters were reset.
 */
export function deltasByInstance<K extends string>(
  previous: InstanceCounters<K>,
  current: InstanceCounters<K>,
): Map<string, Record<K, number> | undefined> {
  const deltas = new Map<string, Record<K, number> | undefined>();
  for (const [name, counters] of Object.entries(current)) {
    const before = previous[name];
    deltas.set(name, before === undefined ? undefined : counterDeltas(before, counters));
  }
  return deltas;
}

/**
 * `toRates` applied to each instance measured across both samples: nothing on the first run, when the clock
 * did not move forward, or for an instance new since the previous run or whose counters were reset.
 */
export function ratesByInstance<K extends string, R>(
  previous: Sample<InstanceCounters<K>> | undefined,
  current: Sample<InstanceCounters<K>>,
  toRates: (deltas: Record<K, number>, elapsedMs: number) => R,
): Map<string, R> {
  const rates = new Map<string, R>();
  const elapsed = previous === undefined ? undefined : elapsedMs(previous, current);
  if (previous === undefined || elapsed === undefined) return rates;
  for (const [name, deltas] of deltasByInstance(previous.values, current.values)) {
    if (deltas !== undefined) rates.set(name, toRates(deltas, elapsed));
  }
  return rates;
}

/** A counter's growth per second over `elapsed` milliseconds, to two decimals. */
export function perSecond(delta: number, elapsed: number): number {
  return round2((delta * 1000) / elapsed);
}

/** `part` as a percentage of `whole`, to two decimals (0 when `whole` is 0). */
export function percentOf(part: number, whole: number): number {
  return whole > 0 ? round2((part / whole) * 100) : 0;
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `1.2 MiB`: a byte count for a message. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}
