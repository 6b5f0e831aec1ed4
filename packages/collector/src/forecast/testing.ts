// Synthetic series for the forecast tests and the Prometheus comparison: a known slope with seeded noise, a
// flat noisy series, a sawtooth (log rotation) and a step (resize). Seeded, so every run sees the same series.
import type { Sample } from './fit.js';

/** mulberry32: a small seeded generator, enough for test noise. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Standard normal noise (Box–Muller) from a uniform generator. */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface SeriesShape {
  /** First sample time (ms) and spacing (ms). */
  start: number;
  stepMs: number;
  count: number;
  /** Value at `start`. */
  base: number;
  /** Units per day. */
  perDay: number;
  /** Standard deviation of the noise. */
  noise: number;
  seed: number;
  /** A sawtooth: the value falls back to `base` every `periodMs` (log rotation). */
  periodMs?: number;
  /** A step: at `stepAt` (ms) the value falls by `stepBy` (a resize or a cleanup), the trend going on. */
  stepAt?: number;
  stepBy?: number;
  /** Values are clamped to [min, max] (a percentage). */
  min?: number;
  max?: number;
}

export function synthetic(shape: SeriesShape): Sample[] {
  const noise = gaussian(seeded(shape.seed));
  const out: Sample[] = [];
  for (let i = 0; i < shape.count; i++) {
    const t = shape.start + i * shape.stepMs;
    const elapsed = shape.periodMs ? (t - shape.start) % shape.periodMs : t - shape.start;
    let v = shape.base + (shape.perDay * elapsed) / 86_400_000 + shape.noise * noise();
    if (shape.stepAt !== undefined && t >= shape.stepAt) v -= shape.stepBy ?? 0;
    v = Math.min(shape.max ?? Number.POSITIVE_INFINITY, Math.max(shape.min ?? Number.NEGATIVE_INFINITY, v));
    out.push({ t, v });
  }
  return out;
}
