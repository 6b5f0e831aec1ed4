// Messages between the embedded store's thread (worker.ts) and the collector's main thread (threaded.ts).
import type { MetricPoint, SeriesPoint, SeriesQuery, WriteReport } from '../types.js';
import type { EmbeddedConfig } from './sink.js';

/** What the worker is started with: the store's settings, without the clock (each request carries the time). */
export type EmbeddedWorkerData = Omit<EmbeddedConfig, 'now'>;

/**
 * A result as one JSON array, the cheapest form to hand to another thread: tenant, application, environment,
 * host, check id, category, type, agent status, final status, duration (ms), time (ms), metrics.
 */
export type RecordTuple = [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  number,
  number,
  Record<string, number>,
];

export type EmbeddedRequest = { id: number; now: number } & (
  | { op: 'write'; points: MetricPoint[] }
  /** JSON of RecordTuple[]. */
  | { op: 'write-results'; records: string }
  | { op: 'query'; query: SeriesQuery }
  | { op: 'close' }
);

export type EmbeddedReply =
  | { id: number; ok: true; report?: WriteReport; points?: SeriesPoint[] }
  | { id: number; ok: false; error: string };
