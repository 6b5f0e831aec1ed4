// Latency histograms that merge exactly across processes: log-spaced buckets 1% wide from 1 µs, so a
// percentile read from one is within 1% of the exact one. Serialised as [bucket, count] pairs.

const MIN_MS = 0.001;
const GROWTH = Math.log(1.01);

export class Histogram {
  constructor() {
    /** @type {Map<number, number>} */
    this.buckets = new Map();
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  /** Records one value in milliseconds. */
  add(/** @type {number} */ ms) {
    const v = Math.max(ms, MIN_MS);
    const b = Math.floor(Math.log(v / MIN_MS) / GROWTH);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** Adds another histogram (or its serialised form) into this one. */
  merge(/** @type {Histogram | SerialisedHistogram} */ other) {
    const pairs = other instanceof Histogram ? [...other.buckets] : other.buckets;
    for (const [b, n] of pairs) this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value at quantile q (0..1), in ms: the upper edge of its bucket; undefined when empty. */
  quantile(/** @type {number} */ q) {
    if (this.count === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b) ?? 0;
      if (seen >= rank) return Math.min(MIN_MS * Math.exp((b + 1) * GROWTH), this.max);
    }
    return this.max;
  }

  mean() {
    return this.count === 0 ? undefined : this.sum / this.count;
  }

  /** @returns {SerialisedHistogram} */
  toJSON() {
    return { buckets: [...this.buckets], count: this.count, sum: this.sum, max: this.max };
  }

  summary() {
    return {
      count: this.count,
      mean: round(this.mean()),
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p99: round(this.quantile(0.99)),
      max: round(this.count === 0 ? undefined : this.max),
    };
  }
}

/** @typedef {{ buckets: Array<[number, number]>; count: number; sum: number; max: number }} SerialisedHistogram */

/** Exact quantile of a list of numbers (nearest rank); undefined when empty. */
export function quantile(/** @type {number[]} */ values, /** @type {number} */ q) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function median(/** @type {number[]} */ values) {
  return quantile(values, 0.5);
}

/** Rounds to 3 significant decimals for reports; keeps undefined. */
export function round(/** @type {number | undefined} */ v, digits = 3) {
  if (v === undefined || !Number.isFinite(v)) return undefined;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
