// The MetricsSink interface and the mapping from results to points.
import { type Result, type Status, splitMetricName } from '@vigie/shared';

export interface MetricPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number>;
  /** Milliseconds since the epoch. */
  time: number;
}

export interface SeriesQuery {
  tenant: string | null;
  host: string;
  check?: string;
  /** The measurement (a check type's, see measurementFor); every one when absent. */
  measurement?: string;
  field?: string;
  /** Only this instance (tag `instance`): a mount point, a unit. */
  instance?: string;
  sinceMs: number;
  /** Up to this time (ms, inclusive); now when absent. */
  untilMs?: number;
  /** At most this many points in all, the newest ones (returned oldest first). */
  limit?: number;
}

export interface SeriesPoint {
  measurement: string;
  field: string;
  instance: string | undefined;
  check: string;
  time: number;
  value: number;
}

/** A point that is not written, and why: writing it again would fail again. */
export interface RefusedPoint {
  point: MetricPoint;
  reason: string;
}

/** What a write did not write: points the encoder or the store refused as bad data. */
export interface WriteReport {
  refused: RefusedPoint[];
}

/** A refused point kept for people to see (GET /api/sink/dead-letters). */
export interface DeadLetter {
  id: number;
  at: string;
  tenant: string;
  host: string;
  measurement: string;
  /** Its line protocol, when it could be encoded. */
  line: string | null;
  point: MetricPoint;
  reason: string;
}

export interface DeadLetterQuery {
  /** null: every tenant. */
  tenant: string | null;
  /** Only letters with a smaller id (paging, newest first). */
  before?: number;
  limit: number;
}

export interface MetricsSink {
  readonly name: string;
  /**
   * Resolves once every point is durably written, except those refused as bad data (by the encoder, or by the
   * store with a 4xx, isolated from the rest): those are in the report and never block the others. Rejects
   * when the store is unavailable (5xx, timeout, connection): then the whole write is to be retried.
   */
  write(points: MetricPoint[]): Promise<WriteReport>;
  /**
   * The same for whole results (their points are `resultToPoints` of each): sinks that can turn results into
   * their own rows without building every point first (the embedded store) take this faster path.
   */
  writeResults?(records: readonly ResultRecord[]): Promise<WriteReport>;
  /** Points of one host in a time range (NOC charts, forecasts); absent on sinks that cannot answer. */
  query?(q: SeriesQuery): Promise<SeriesPoint[]>;
  /** Points refused for good, newest first (sinks that cannot refuse have none). */
  deadLetters?(q: DeadLetterQuery): DeadLetter[];
  close(): Promise<void>;
}

export interface SeriesIdentity {
  tenant: string;
  application: string;
  environment: string;
  host: string;
}

/** An accepted result as the metrics stores need it: who sent it, its final status and its collector time. */
export interface ResultRecord {
  who: SeriesIdentity;
  result: Pick<Result, 'checkId' | 'type' | 'category' | 'status' | 'durationMs' | 'metrics'>;
  /** After the collector's thresholds. */
  status: Status;
  /** ms since the epoch. */
  time: number;
}

export const STATUS_CODE: Record<Status, number> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

/** Measurement name for a check type: `filesystem`, `backup_freshness`, ... */
export function measurementFor(type: string): string {
  return type.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * One point per metric instance (tag `instance`) in the measurement named after the check type, plus one
 * `vigie_check` point with the status code (0 ok, 1 warning, 2 critical, 3 unknown) and the duration.
 */
export function resultToPoints(
  result: ResultRecord['result'] & Partial<Result>,
  who: SeriesIdentity,
  finalStatus: Status,
  /** The observation time on the collector's clock (ms); default: the result's own. */
  time: number = Date.parse(result.observedAt ?? ''),
): MetricPoint[] {
  const base = {
    tenant: who.tenant,
    application: who.application,
    environment: who.environment,
    host: who.host,
    check: result.checkId,
    category: result.category,
  };
  const byInstance = new Map<string, Record<string, number>>();
  for (const [name, value] of Object.entries(result.metrics)) {
    const { field, instance } = splitMetricName(name);
    const key = instance ?? '';
    let fields = byInstance.get(key);
    if (!fields) {
      fields = {};
      byInstance.set(key, fields);
    }
    fields[field] = value;
  }
  const measurement = measurementFor(result.type);
  const points: MetricPoint[] = [];
  for (const [instance, fields] of byInstance) {
    points.push({ measurement, tags: instance ? { ...base, instance } : { ...base }, fields, time });
  }
  points.push({
    measurement: 'vigie_check',
    tags: { ...base, type: result.type },
    fields: {
      status_code: STATUS_CODE[finalStatus],
      agent_status_code: STATUS_CODE[result.status],
      duration_ms: result.durationMs,
    },
    time,
  });
  return points;
}
