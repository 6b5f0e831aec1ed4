// GET /api/sink/dead-letters: metric points the metrics store refused as bad data (or that could not be encoded
// for it), newest first, with the reason. They were not written; every other point was.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { MetricsSink } from '../sinks/types.js';
import { scopeOf, tenantFilter } from './auth.js';
import { errorResponses } from './errors.js';

const DeadLetterSchema = Type.Object({
  id: Type.Integer({ description: 'increasing; pass it as `before` for the next page' }),
  at: Type.String({ description: 'when the point was refused' }),
  tenant: Type.String(),
  host: Type.String(),
  measurement: Type.String(),
  line: Type.Union([Type.String(), Type.Null()], {
    description: 'the line protocol sent; null when the point could not be encoded',
  }),
  reason: Type.String({ description: "the store's answer, or why the point could not be encoded" }),
  point: Type.Object({
    measurement: Type.String(),
    tags: Type.Record(Type.String(), Type.String()),
    fields: Type.Record(Type.String(), Type.Unknown()),
    time: Type.Unknown(),
  }),
});

const Query = Type.Object(
  {
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    before: Type.Optional(Type.Integer({ minimum: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);

export function deadLetterRoutes(app: FastifyInstance, deps: { sink: MetricsSink }): void {
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/sink/dead-letters',
    {
      schema: {
        tags: ['metrics'],
        summary: 'Metric points the metrics store refused, newest first (they block nothing)',
        querystring: Query,
        response: { 200: Type.Array(DeadLetterSchema), ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const tenant = tenantFilter(scopeOf(req), req.query.tenant);
      return (
        deps.sink.deadLetters?.({ tenant, before: req.query.before, limit: req.query.limit ?? 100 }) ?? []
      );
    },
  );
}
