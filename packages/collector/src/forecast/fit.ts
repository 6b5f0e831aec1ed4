// The straight line through a metric's recent history: a Theil–Sen fit (median of pairwise slopes) with a
// robust quality figure, and the detection of resets (a cleanup, a resize, a log rotation) that end a trend.
// Pure functions of the samples: no clock, no I/O. See README.md for why Theil–Sen.

export interface Sample {
  /** Milliseconds since the epoch. */
  t: number;
  v: number;
}

export interface LineFit {
  /** Units per second. */
  slopePerSecond: number;
  /** The fitted value at `at`. */
  valueAt: number;
  /** The reference time of `valueAt` (ms): the time of the last sample. */
  at: number;
  /** Samples used (after downsampling). */
  points: number;
  /** First and last sample times (ms). */
  from: number;
  to: number;
  /**
   * Robust coefficient of determination: 1 − (MAD of the residuals / MAD of the values)². 1 is a perfect line,
   * 0 a line that explains nothing (a flat noisy series); negative when the line is worse than a constant.
   */
  quality: number;
}

/** The fitted value at time `t` (ms). */
export function lineValue(fit: Pick<LineFit, 'slopePerSecond' | 'valueAt' | 'at'>, t: number): number {
  return fit.valueAt + fit.slopePerSecond * ((t - fit.at) / 1000);
}

export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  return medianInPlace(Float64Array.from(values));
}

/** The median of `a`, reordering it (quickselect: linear time, where sorting 45,000 slopes is not). */
function medianInPlace(a: Float64Array): number {
  const n = a.length;
  const upper = select(a, n >> 1);
  if (n % 2 === 1) return upper;
  // The lower middle is the largest value left of the upper one after selection.
  let lower = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n >> 1; i++) lower = Math.max(lower, a[i] as number);
  return (lower + upper) / 2;
}

/** The k-th smallest value of `a` (0-based); leaves smaller values left of k and larger ones right. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three as the pivot: sorted or constant runs stay linear.
    const x = a[lo] as number;
    const y = a[mid] as number;
    const z = a[hi] as number;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k] as number;
  }
  return a[k] as number;
}

/** Median absolute deviation from the median (unscaled). */
export function mad(values: ArrayLike<number>): number {
  const m = median(values);
  return median(Array.from(values, (v) => Math.abs(v - m)));
}

/**
 * At most `max` samples: above that, consecutive time buckets of equal width each become one sample (the
 * median time and value of the bucket). Keeps the fit's O(n²) pairs bounded whatever the scrape rate.
 */
export function downsample(samples: readonly Sample[], max: number): Sample[] {
  if (samples.length <= max) return [...samples];
  const first = (samples[0] as Sample).t;
  const width = ((samples.at(-1) as Sample).t - first) / max || 1;
  const out: Sample[] = [];
  let bucket: Sample[] = [];
  let index = 0;
  const flush = () => {
    if (bucket.length === 0) return;
    out.push({ t: median(bucket.map((s) => s.t)), v: median(bucket.map((s) => s.v)) });
    bucket = [];
  };
  for (const s of samples) {
    const b = Math.min(max - 1, Math.floor((s.t - first) / width));
    if (b !== index) {
      flush();
      index = b;
    }
    bucket.push(s);
  }
  flush();
  return out;
}

/**
 * Theil–Sen: the slope is the median of the slopes of every pair of samples, the intercept the median of
 * what each sample says it is. Needs two samples at distinct times; undefined otherwise.
 */
export function theilSen(samples: readonly Sample[]): LineFit | undefined {
  const n = samples.length;
  if (n < 2) return undefined;
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const a = samples[i] as Sample;
    for (let j = i + 1; j < n; j++) {
      const b = samples[j] as Sample;
      const dt = (b.t - a.t) / 1000;
      if (dt !== 0) slopes[k++] = (b.v - a.v) / dt;
    }
  }
  if (k === 0) return undefined;
  const slope = medianInPlace(slopes.subarray(0, k));
  const at = (samples[n - 1] as Sample).t;
  const valueAt = median(samples.map((s) => s.v - slope * ((s.t - at) / 1000)));
  const line = { slopePerSecond: slope, valueAt, at };
  const residuals = samples.map((s) => s.v - lineValue(line, s.t));
  const spread = mad(samples.map((s) => s.v));
  const unexplained = mad(residuals);
  // A series that does not move has no trend to speak of, however well a flat line fits it.
  const quality = spread === 0 ? 0 : 1 - (unexplained / spread) ** 2;
  return { ...line, points: n, from: (samples[0] as Sample).t, to: at, quality };
}

export type Direction = 'above' | 'below';

/**
 * Indexes `i` where the value jumps back against the direction of travel between sample i − 1 and i (a drop
 * for `above`, a rise for `below`) and stays there: the lowest of the three samples before the jump must be
 * above the highest of the (at least two, at most three) samples from it on, by more than both 6 robust
 * standard deviations of the step-to-step changes and a quarter of the window's range. The disk was cleaned
 * up or resized, the log rotated. Noise stays under the first bound, a lone spike or dip is no level change,
 * and the slow trend itself never goes backwards.
 */
export function findResets(samples: readonly Sample[], direction: Direction): number[] {
  if (samples.length < 3) return [];
  const sign = direction === 'above' ? 1 : -1;
  // Work on values that rise toward the limit: a reset is then always a drop.
  const v = samples.map((s) => sign * s.v);
  const diffs = v.slice(1).map((x, i) => x - (v[i] as number));
  const sigma = 1.4826 * mad(diffs);
  const bound = Math.max(6 * sigma, 0.25 * (Math.max(...v) - Math.min(...v)));
  const out: number[] = [];
  for (let i = 1; i < v.length; i++) {
    if ((v[i - 1] as number) - (v[i] as number) <= bound) continue;
    const after = v.slice(i, i + 3);
    if (after.length < 2) continue;
    if (Math.min(...v.slice(Math.max(0, i - 3), i)) - Math.max(...after) > bound) out.push(i);
  }
  return out;
}
