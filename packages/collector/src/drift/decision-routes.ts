// PUT and DELETE /api/applications/:app/parity/decisions: ignore an item of the parity report for an
// environment, or accept its current difference; undo either. Who and when are recorded and shown in the report.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { scopeOf, tenantFilter } from '../api/auth.js';
import { ApiError } from '../api/errors.js';
import type { Db } from '../store/open.js';
import { recordDecision, removeDecision, valueDigest } from './decisions.js';
import { parityReportFor } from './service.js';

const Params = Type.Object(
  { app: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
const Query = Type.Object({ tenant: Type.Optional(Type.String()) }, { additionalProperties: false });
const Key = {
  environment: Type.String({ minLength: 1, maxLength: 40 }),
  item: Type.String({ minLength: 1, maxLength: 1000 }),
};
const PutBody = Type.Object(
  {
    ...Key,
    decision: Type.Union([Type.Literal('ignore'), Type.Literal('accept')], {
      description: 'ignore: never compare this item here; accept: the difference as it is now is expected',
    }),
  },
  { additionalProperties: false },
);
const DeleteBody = Type.Object(Key, { additionalProperties: false });
const DecisionSchema = Type.Object({
  application: Type.String(),
  environment: Type.String(),
  item: Type.String(),
  decision: Type.String(),
  decidedBy: Type.String(),
  decidedAt: Type.String(),
});

async function applicationTenant(db: Db, scopeTenant: string | null, application: string): Promise<string> {
  let q = db.selectFrom('agents').select('tenant_id').distinct().where('application', '=', application);
  if (scopeTenant !== null) q = q.where('tenant_id', '=', scopeTenant);
  const ids = (await q.execute()).map((r) => r.tenant_id);
  if (ids.length === 0) throw new ApiError(404, 'application_not_found', `no application ${application}`);
  if (ids.length > 1)
    throw new ApiError(
      400,
      'tenant_required',
      `application ${application} exists in several tenants: add ?tenant=`,
    );
  return ids[0] as string;
}

export function parityDecisionRoutes(app: FastifyInstance, deps: { db: Db; now: () => Date }): void {
  const { db } = deps;
  app.put<{ Params: Static<typeof Params>; Querystring: Static<typeof Query>; Body: Static<typeof PutBody> }>(
    '/api/applications/:app/parity/decisions',
    {
      schema: {
        tags: ['drift'],
        summary: 'Ignore an item of the parity report, or accept its current difference (who and when kept)',
        params: Params,
        querystring: Query,
        body: PutBody,
        response: { 200: DecisionSchema },
      },
    },
    async (req) => {
      const scope = scopeOf(req);
      const application = req.params.app;
      const tenant = await applicationTenant(db, tenantFilter(scope, req.query.tenant), application);
      const b = req.body;
      const now = deps.now();
      const report = await parityReportFor(db, tenant, application, now);
      const comparison = report?.comparisons.find((c) => c.environment === b.environment);
      const all = [...(comparison?.differences ?? []), ...(comparison?.reviewed ?? [])];
      const diff = all.find((d) => d.item === b.item);
      if (!diff)
        throw new ApiError(
          404,
          'difference_not_found',
          `item: ${b.item} does not differ between production and ${b.environment}`,
        );
      const at = now.toISOString();
      await recordDecision(db, {
        tenant_id: tenant,
        application,
        environment: b.environment,
        item: b.item,
        decision: b.decision,
        production_sha256: b.decision === 'accept' ? valueDigest(diff.production) : null,
        other_sha256: b.decision === 'accept' ? valueDigest(diff.other) : null,
        decided_by: scope.actor,
        decided_at: at,
      });
      return { application, ...b, decidedBy: scope.actor, decidedAt: at };
    },
  );

  app.delete<{
    Params: Static<typeof Params>;
    Querystring: Static<typeof Query>;
    Body: Static<typeof DeleteBody>;
  }>(
    '/api/applications/:app/parity/decisions',
    {
      schema: {
        tags: ['drift'],
        summary: 'Undo a decision: the item is compared and counted again',
        params: Params,
        querystring: Query,
        body: DeleteBody,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const application = req.params.app;
      const tenant = await applicationTenant(db, tenantFilter(scopeOf(req), req.query.tenant), application);
      const removed = await removeDecision(db, { tenantId: tenant, application, ...req.body });
      if (!removed) throw new ApiError(404, 'decision_not_found', `no decision on ${req.body.item}`);
      return reply.code(204).send();
    },
  );
}
