// Tenants and their contracts: a provider key reads and sets each tenant's SLA contract (coverage calendar,
// response and resolution targets); a client key reads its own.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { TenantViewSchema, tenantView } from '../lifecycle/routes.js';
import type { SlaConfigError } from '../sla/config-error.js';
import { createSlaContract } from '../sla/targets.js';
import type { Db } from '../store/open.js';
import { getTenant, listTenants } from '../store/tenants.js';
import { scopeOf } from './auth.js';
import { ApiError, errorResponses } from './errors.js';

const TenantSchema = TenantViewSchema;
const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export function tenantRoutes(app: FastifyInstance, deps: { db: Db }): void {
  app.get(
    '/api/tenants',
    { schema: { tags: ['tenants'], response: { 200: Type.Array(TenantSchema), ...errorResponses(401) } } },
    async (req) => {
      const scope = scopeOf(req);
      const rows = await listTenants(deps.db);
      return rows.filter((t) => scope.tenantId === null || t.id === scope.tenantId).map(tenantView);
    },
  );

  app.put<{ Params: Static<typeof Params>; Body: unknown }>(
    '/api/tenants/:id/contract',
    {
      schema: {
        tags: ['tenants'],
        summary: "Set a tenant's SLA contract (provider key)",
        params: Params,
        body: Type.Unknown({
          description: '{ calendar, response: {P1..P4}, resolution: {P1..P4}, atRiskShare? }',
        }),
        response: { 200: TenantSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      if (scopeOf(req).tenantId !== null)
        throw new ApiError(403, 'provider_key_required', 'only a provider key sets contracts');
      const tenant = await getTenant(deps.db, req.params.id);
      if (!tenant) throw new ApiError(404, 'tenant_not_found', `no tenant ${req.params.id}`);
      try {
        createSlaContract(req.body);
      } catch (err) {
        const problems = (err as SlaConfigError).problems ?? [(err as Error).message];
        throw new ApiError(400, 'invalid_contract', problems.join('; '));
      }
      const contract = JSON.stringify(req.body);
      await deps.db.updateTable('tenants').set({ contract }).where('id', '=', tenant.id).execute();
      return tenantView({ ...tenant, contract });
    },
  );
}
