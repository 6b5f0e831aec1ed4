// GET /api/hosts/:host/series: recent metric points of one host, from the sink when it can answer.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { MetricsSink } from '../sinks/types.js';
import { scopeOf, tenantFilter } from './auth.js';
import { ApiError } from './errors.js';

const Params = Type.Object({ host: Type.String() });
const Query = Type.Object({
  tenant: Type.Optional(Type.String()),
  check: Type.Optional(Type.String()),
  field: Type.Optional(Type.String()),
  since: Type.Optional(Type.String({ format: 'date-time' })),
});
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
    { schema: { params: Params, querystring: Query, response: { 200: Type.Array(PointSchema) } } },
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
      return deps.sink.query({
        tenant,
        host: req.params.host,
        check: req.query.check,
        field: req.query.field,
        sinceMs: since,
      });
    },
  );
}
