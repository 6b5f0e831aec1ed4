// GET /api/tickets (filter by status, host, tenant) and GET /api/tickets/:id with its timeline.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/open.js';
import type { TicketEventTable, TicketTable } from '../store/schema.js';
import { getTicket, listTickets, ticketTimeline } from '../store/tickets.js';
import { scopeOf, tenantFilter } from './auth.js';
import { ApiError } from './errors.js';

const TicketSchema = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  host: Type.String(),
  checkId: Type.String(),
  dedupKey: Type.String(),
  status: Type.String(),
  severity: Type.String(),
  title: Type.String(),
  message: Type.String(),
  occurrences: Type.Integer(),
  openedAt: Type.String(),
  lastSeenAt: Type.String(),
  resolvedAt: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String(),
});

const EventSchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  kind: Type.String(),
  actor: Type.String(),
  details: Type.Unknown(),
});

const ListQuery = Type.Object({
  status: Type.Optional(Type.String({ description: 'comma-separated: open, resolved, ...' })),
  host: Type.Optional(Type.String()),
  tenant: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
});

const Params = Type.Object({ id: Type.String() });

function view(t: TicketTable): Static<typeof TicketSchema> {
  return {
    id: t.id,
    tenant: t.tenant_id,
    host: t.host,
    checkId: t.check_id,
    dedupKey: t.dedup_key,
    status: t.status,
    severity: t.severity,
    title: t.title,
    message: t.message,
    occurrences: t.occurrences,
    openedAt: t.opened_at,
    lastSeenAt: t.last_seen_at,
    resolvedAt: t.resolved_at,
    updatedAt: t.updated_at,
  };
}

function eventView(e: TicketEventTable): Static<typeof EventSchema> {
  return { id: e.id, at: e.at, kind: e.kind, actor: e.actor, details: JSON.parse(e.details) as unknown };
}

export function ticketRoutes(app: FastifyInstance, deps: { db: Db }): void {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/tickets',
    { schema: { querystring: ListQuery, response: { 200: Type.Array(TicketSchema) } } },
    async (req) => {
      const tenant = tenantFilter(scopeOf(req), req.query.tenant);
      const status = req.query.status
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const rows = await listTickets(deps.db, {
        tenantId: tenant,
        status,
        host: req.query.host,
        limit: req.query.limit ?? 200,
      });
      return rows.map(view);
    },
  );

  app.get<{ Params: Static<typeof Params> }>(
    '/api/tickets/:id',
    {
      schema: {
        params: Params,
        response: { 200: Type.Composite([TicketSchema, Type.Object({ timeline: Type.Array(EventSchema) })]) },
      },
    },
    async (req) => {
      const scope = scopeOf(req);
      const t = await getTicket(deps.db, req.params.id);
      // A client key gets the same answer for another tenant's ticket as for a missing one.
      if (!t || (scope.tenantId !== null && t.tenant_id !== scope.tenantId)) {
        throw new ApiError(404, 'ticket_not_found', `no ticket ${req.params.id}`);
      }
      const timeline = await ticketTimeline(deps.db, t.id);
      return { ...view(t), timeline: timeline.map(eventView) };
    },
  );
}
