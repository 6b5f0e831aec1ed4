// GET /api/audit: the audit log of a tenant, for its client (its own key) and for the provider.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { scopeOf, tenantFilter } from '../api/auth.js';
import { strictRoutes } from '../api/strict.js';
import type { Db } from '../store/open.js';
import type { AuditQueue } from './hook.js';
import { listAudit } from './log.js';
import type { AuditEntryTable } from './migration.js';

export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  at: Type.String({ description: 'first time' }),
  lastAt: Type.String({ description: 'last time (identical reads within a minute are one entry)' }),
  count: Type.Integer(),
  actor: Type.String({ description: '`key:<name>` or `cli:<user>@<machine>`' }),
  keyId: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  target: Type.String(),
  status: Type.Integer(),
  source: Type.String({ description: 'client IP address, or `local`' }),
  userAgent: Type.String(),
});

export function auditView(e: AuditEntryTable): Static<typeof AuditEntrySchema> {
  return {
    id: e.id,
    tenant: e.tenant_id,
    at: e.at,
    lastAt: e.last_at,
    count: e.count,
    actor: e.actor,
    keyId: e.key_id,
    action: e.action,
    target: e.target,
    status: e.status,
    source: e.source,
    userAgent: e.user_agent,
  };
}

const Query = Type.Object(
  {
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    since: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T', description: 'ISO instant' })),
    limit: Type.Optional(
      Type.String({ pattern: '^(?:[1-9]\\d{0,3}|10000)$', description: '1..10000, default 500' }),
    ),
  },
  { additionalProperties: false },
);

export async function auditRoutes(app: FastifyInstance, deps: { db: Db; queue: AuditQueue }): Promise<void> {
  await strictRoutes(app, (api) => {
    api.get<{ Querystring: Static<typeof Query> }>(
      '/api/audit',
      {
        schema: {
          tags: ['audit'],
          summary: "Who acted on the tenant's data: every action of a provider key, reads included",
          querystring: Query,
          response: { 200: Type.Array(AuditEntrySchema) },
        },
      },
      async (req) => {
        const tenantId = tenantFilter(scopeOf(req), req.query.tenant);
        await deps.queue.idle();
        const rows = await listAudit(deps.db, {
          tenantId,
          since: req.query.since,
          limit: Number(req.query.limit ?? 500),
        });
        return rows.map(auditView);
      },
    );
  });
}
