// GET /api/hosts/:host/series: recent metric points of one host, from the sink when it can answer.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { MetricsSink } from '../sinks/types.js';
import { scopeOf, TenantId, tenantFilter } from './auth.js';
import { ApiError, errorResponses } from './errors.js';

const Params = Type.Object({ host: Type.String({ minLength: 1, maxLength: 253 }) });
const Query = Type.Object(
  {
    tenant: Type.Optional(TenantId),
    check: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    field: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'RFC 3339, default an hour ago' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'default: now' })),
    maxPoints: Type.Optional(
      Type.String({
        pattern: '^[1-9][0-9]{0,4}$',
        description: 'at most this many points per series (averages over equal time buckets); default: all',
      }),
    ),
  },
  { additionalProperties: false },
);
const PointSchema = Type.Object({
  measurement: Type.String(),
  field: Type.String(),
  instance: Type.Optional(Type.String()),
  check: Type.String(),
  time: Type.Number(),
  value: Type.Number(),
});

export function seriesRoutes(app: FastifyInstance, deps: { sink: MetricsSink; now: () => Date }): void {
  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>(
    '/api/hosts/:host/series',
    {
      schema: {
        tags: ['metrics'],
        params: Params,
        querystring: Query,
        response: { 200: Type.Array(PointSchema), ...errorResponses(400, 401, 403, 501) },
      },
    },
    async (req) => {
      const tenant = tenantFilter(scopeOf(req), req.query.tenant);
      if (!deps.sink.query) {
        throw new ApiError(
          501,
          'sink_cannot_query',
          `the ${deps.sink.name} metrics sink does not serve queries; use Grafana`,
        );
      }
      const since = req.query.since ? Date.parse(req.query.since) : deps.now().getTime() - 3_600_000;
      const until = req.query.until ? Date.parse(req.query.until) : Number.POSITIVE_INFINITY;
      const points = await deps.sink.query({
        tenant,
        host: req.params.host,
        check: req.query.check,
        field: req.query.field,
        sinceMs: since,
      });
      const inRange = points.filter((p) => p.time <= until);
      return req.query.maxPoints ? downsample(inRange, Number(req.query.maxPoints)) : inRange;
    },
  );
}

type Point = Static<typeof PointSchema>;

/**
 * At most `max` points per series (measurement, field, instance, check): the average of each of `max` equal
 * time buckets, at the bucket's mean time. Seven days of per-minute points stay drawable.
 */
export function downsample(points: readonly Point[], max: number): Point[] {
  const series = new Map<string, Point[]>();
  for (const p of points) {
    const key = `${p.measurement}\u0000${p.field}\u0000${p.instance ?? ''}\u0000${p.check}`;
    const list = series.get(key) ?? [];
    list.push(p);
    series.set(key, list);
  }
  const out: Point[] = [];
  for (const list of series.values()) {
    if (list.length <= max) {
      out.push(...list);
      continue;
    }
    list.sort((a, b) => a.time - b.time);
    const t0 = (list[0] as Point).time;
    const width = ((list[list.length - 1] as Point).time - t0 + 1) / max;
    const buckets = new Map<number, { n: number; sum: number; time: number; first: Point }>();
    for (const p of list) {
      const i = Math.min(max - 1, Math.floor((p.time - t0) / width));
      const b = buckets.get(i);
      if (b) {
        b.n++;
        b.sum += p.value;
        b.time += p.time;
      } else buckets.set(i, { n: 1, sum: p.value, time: p.time, first: p });
    }
    for (const b of buckets.values())
      out.push({ ...b.first, time: Math.round(b.time / b.n), value: b.sum / b.n });
  }
  return out;
}
