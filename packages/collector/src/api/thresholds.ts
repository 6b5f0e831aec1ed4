// GET /api/hosts/:host/thresholds: the warning and critical levels that apply to each metric of a host (the
// rule each check's last result was evaluated with), so the host's charts can draw them.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ThresholdRule } from '../rules/thresholds.js';
import type { Db } from '../store/open.js';
import { scopeOf, tenantFilter } from './auth.js';

const Params = Type.Object(
  { host: Type.String({ minLength: 1, maxLength: 253 }) },
  { additionalProperties: false },
);
const Query = Type.Object({ tenant: Type.Optional(Type.String()) }, { additionalProperties: false });
const ThresholdSchema = Type.Object({
  checkId: Type.String(),
  metric: Type.String({ description: 'field or field@instance, as in the result' }),
  rule: Type.String(),
  direction: Type.Union([Type.Literal('above'), Type.Literal('below')]),
  warning: Type.Union([Type.Number(), Type.Null()]),
  critical: Type.Union([Type.Number(), Type.Null()]),
});

export function thresholdRoutes(
  app: FastifyInstance,
  deps: { db: Db; rules: () => readonly ThresholdRule[] },
): void {
  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>(
    '/api/hosts/:host/thresholds',
    {
      schema: {
        tags: ['agents'],
        summary: "The threshold levels applied to a host's metrics, per check",
        params: Params,
        querystring: Query,
        response: { 200: Type.Array(ThresholdSchema) },
      },
    },
    async (req) => {
      const tenant = tenantFilter(scopeOf(req), req.query.tenant);
      let q = deps.db
        .selectFrom('check_states')
        .select(['check_id', 'rules'])
        .where('host', '=', req.params.host);
      if (tenant !== null) q = q.where('tenant_id', '=', tenant);
      const rules = new Map(deps.rules().map((r) => [r.id, r]));
      const out: Array<Static<typeof ThresholdSchema>> = [];
      for (const row of await q.orderBy('check_id').execute()) {
        const applied = JSON.parse(row.rules ?? '{}') as Record<string, string>;
        for (const [metric, id] of Object.entries(applied)) {
          const r = rules.get(id);
          if (!r) continue;
          out.push({
            checkId: row.check_id,
            metric,
            rule: id,
            direction: r.direction ?? 'above',
            warning: r.warning ?? null,
            critical: r.critical ?? null,
          });
        }
      }
      return out;
    },
  );
}
