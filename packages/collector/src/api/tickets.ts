// The ticket queue: list with filters and sorting, one ticket with its timeline, and the actions people take.
import { type Static, Type } from '@sinclair/typebox';
import { EnvironmentSchema } from '@vigie/shared';
import type { FastifyInstance } from 'fastify';
import type { MaintenanceQuery } from '../maintenance/book.js';
import type { Db } from '../store/open.js';
import type { TicketEventTable, TicketTable } from '../store/schema.js';
import {
  getTicket,
  listTickets,
  sortValue,
  TICKET_SORTS,
  type TicketSort,
  ticketTimeline,
} from '../store/tickets.js';
import { PRIORITIES } from '../tickets/priority.js';
import {
  type Action,
  act,
  SUPPORT_LEVELS,
  TICKET_STATUSES,
  TransitionError,
  type WorkflowDeps,
} from '../tickets/workflow.js';
import { scopeOf, TenantId, tenantFilter } from './auth.js';
import { ApiError, errorResponses } from './errors.js';
import { TicketExtrasSchema, ticketExtras } from './ticket-clock.js';

/** A paging cursor: the sort, sort value and id of the last ticket of a page, opaque to clients. */
function writeCursor(t: TicketTable, sort: TicketSort): string {
  return Buffer.from(JSON.stringify([sort, sortValue(t, sort), t.id])).toString('base64url');
}

function readCursor(cursor: string, sort: TicketSort): { value: string; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((p) => typeof p === 'string'))
    throw new ApiError(400, 'invalid_cursor', 'cursor: not a cursor this API gave');
  if (parsed[0] !== sort)
    throw new ApiError(400, 'invalid_cursor', `cursor: made for sort=${parsed[0]}, not sort=${sort}`);
  return { value: parsed[1] as string, id: parsed[2] as string };
}

const Nullable = (t: ReturnType<typeof Type.String>) => Type.Union([t, Type.Null()]);

export const TicketSchema = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  host: Type.String(),
  application: Type.String(),
  environment: Type.String(),
  checkId: Type.String(),
  dedupKey: Type.String(),
  kind: Type.String({ description: 'check | flapping | agent_unreachable | forecast' }),
  status: Type.String({ description: 'open | acknowledged | in_progress | waiting | resolved | closed' }),
  severity: Type.String(),
  priority: Type.String({ description: 'P1 (most urgent) .. P4' }),
  supportLevel: Type.String({ description: 'N1 | N2 | N3' }),
  title: Type.String(),
  message: Type.String(),
  occurrences: Type.Integer(),
  reopened: Type.Integer(),
  assignee: Nullable(Type.String()),
  openedAt: Type.String(),
  lastSeenAt: Type.String(),
  acknowledgedAt: Nullable(Type.String()),
  resolvedAt: Nullable(Type.String()),
  closedAt: Nullable(Type.String()),
  updatedAt: Type.String(),
  responseDueAt: Nullable(Type.String()),
  resolutionDueAt: Nullable(Type.String()),
  waitingSince: Nullable(Type.String()),
  sla: Type.Object({
    responseAtRisk: Type.Boolean(),
    responseBreached: Type.Boolean(),
    resolutionAtRisk: Type.Boolean(),
    resolutionBreached: Type.Boolean(),
  }),
  ...TicketExtrasSchema,
});

const EventSchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  kind: Type.String(),
  actor: Type.String({ description: '`vigie` for the system, `key:<name>` for a person or tool' }),
  details: Type.Unknown(),
});

/** A comma-separated list of some of `values` (spaces around commas allowed), e.g. `open,acknowledged`. */
function csvOf(values: readonly string[], what: string) {
  const one = `(?:${values.join('|')})`;
  return Type.Optional(
    Type.String({
      pattern: `^\\s*${one}\\s*(?:,\\s*${one}\\s*)*$`,
      description: `comma-separated ${what}: ${values.join(', ')}`,
    }),
  );
}
export const TICKET_KINDS = ['check', 'flapping', 'agent_unreachable', 'forecast', 'request'] as const;
const ListQuery = Type.Object(
  {
    status: csvOf(TICKET_STATUSES, 'statuses'),
    priority: csvOf(PRIORITIES, 'priorities'),
    severity: csvOf(['critical', 'warning', 'unknown'], 'severities'),
    kind: csvOf(TICKET_KINDS, 'kinds'),
    category: csvOf(['performance', 'backup', 'security', 'drift', 'agent', 'request'], 'categories'),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'opened at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'opened before' })),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description: 'the x-next-cursor header of the previous page: the page after it',
      }),
    ),
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    tenant: Type.Optional(TenantId),
    application: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    environment: Type.Optional(EnvironmentSchema),
    sla: Type.Optional(Type.Union([Type.Literal('at_risk'), Type.Literal('breached')])),
    sort: Type.Optional(
      Type.Union(
        TICKET_SORTS.map((s) => Type.Literal(s)),
        { description: `one of ${TICKET_SORTS.join(', ')}; default openedAt` },
      ),
    ),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'default 200' })),
  },
  { additionalProperties: false },
);

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const CommentBody = Type.Object(
  { comment: Type.Optional(Type.String({ maxLength: 5000 })) },
  { additionalProperties: false },
);
const ActionBodies = {
  acknowledge: CommentBody,
  start: Type.Object({}, { additionalProperties: false }),
  assign: Type.Object(
    { assignee: Type.String({ minLength: 1, maxLength: 200 }) },
    { additionalProperties: false },
  ),
  comments: Type.Object(
    { text: Type.String({ minLength: 1, maxLength: 5000 }) },
    { additionalProperties: false },
  ),
  waiting: Type.Object(
    { reason: Type.Optional(Type.String({ maxLength: 2000 })) },
    { additionalProperties: false },
  ),
  resume: Type.Object({}, { additionalProperties: false }),
  resolve: CommentBody,
  close: CommentBody,
  escalate: Type.Object(
    {
      level: Type.Optional(Type.Union(SUPPORT_LEVELS.map((l) => Type.Literal(l)))),
      reason: Type.String({ minLength: 1, maxLength: 2000 }),
    },
    { additionalProperties: false },
  ),
} as const;
type ActionPath = keyof typeof ActionBodies;

function toAction(path: ActionPath, body: Record<string, unknown>): Action {
  switch (path) {
    case 'comments':
      return { kind: 'comment', text: body.text as string };
    case 'waiting':
      return { kind: 'wait', reason: body.reason as string | undefined };
    case 'escalate':
      return {
        kind: 'escalate',
        level: body.level as Action & { kind: 'escalate' } extends { level?: infer L } ? L : never,
        reason: body.reason as string,
      };
    case 'assign':
      return { kind: 'assign', assignee: body.assignee as string };
    case 'acknowledge':
    case 'resolve':
    case 'close':
      return { kind: path, comment: body.comment as string | undefined };
    case 'start':
    case 'resume':
      return { kind: path };
  }
}

export function ticketView(t: TicketTable): Static<typeof TicketSchema> {
  const flags = new Set((t.sla_flags ?? '').split(',').filter(Boolean));
  return {
    id: t.id,
    tenant: t.tenant_id,
    host: t.host,
    application: t.application ?? '',
    environment: t.environment ?? '',
    checkId: t.check_id,
    dedupKey: t.dedup_key,
    kind: t.kind ?? 'check',
    status: t.status,
    severity: t.severity,
    priority: t.priority ?? 'P4',
    supportLevel: t.support_level ?? 'N1',
    title: t.title,
    message: t.message,
    occurrences: t.occurrences,
    reopened: t.reopened ?? 0,
    assignee: t.assignee ?? null,
    openedAt: t.opened_at,
    lastSeenAt: t.last_seen_at,
    acknowledgedAt: t.acknowledged_at ?? null,
    resolvedAt: t.resolved_at,
    closedAt: t.closed_at ?? null,
    updatedAt: t.updated_at,
    responseDueAt: t.response_due_at ?? null,
    resolutionDueAt: t.resolution_due_at ?? null,
    waitingSince: t.waiting_since ?? null,
    sla: {
      responseAtRisk: flags.has('response_at_risk'),
      responseBreached: flags.has('response_breached'),
      resolutionAtRisk: flags.has('resolution_at_risk'),
      resolutionBreached: flags.has('resolution_breached'),
    },
  };
}

function eventView(e: TicketEventTable): Static<typeof EventSchema> {
  return { id: e.id, at: e.at, kind: e.kind, actor: e.actor, details: JSON.parse(e.details) as unknown };
}

const split = (v: string | undefined) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function ticketRoutes(
  app: FastifyInstance,
  deps: WorkflowDeps & {
    db: Db;
    onAction?: (ticket: TicketTable, action: string) => void;
    maintenance?: MaintenanceQuery;
  },
): void {
  // `db` is the transaction when called inside one: SQLite has one connection, so a query outside the
  // transaction would wait for it forever.
  const loadVisible = async (id: string, tenant: string | null, db: Db = deps.db): Promise<TicketTable> => {
    const t = await getTicket(db, id);
    // A client key gets the same answer for another tenant's ticket as for a missing one.
    if (!t || (tenant !== null && t.tenant_id !== tenant))
      throw new ApiError(404, 'ticket_not_found', `no ticket ${id}`);
    return t;
  };

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/tickets',
    {
      schema: {
        tags: ['tickets'],
        summary: 'The ticket queue',
        querystring: ListQuery,
        response: { 200: Type.Array(TicketSchema), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const sort = q.sort ?? 'openedAt';
      const limit = q.limit ?? 200;
      const rows = await listTickets(deps.db, {
        tenantId: tenantFilter(scopeOf(req), q.tenant),
        status: split(q.status),
        priority: split(q.priority),
        severity: split(q.severity),
        kind: split(q.kind),
        category: split(q.category),
        from: q.from ? new Date(q.from).toISOString() : undefined,
        to: q.to ? new Date(q.to).toISOString() : undefined,
        after: q.cursor ? readCursor(q.cursor, sort) : undefined,
        host: q.host,
        application: q.application,
        environment: q.environment,
        sla: q.sla,
        sort,
        order: q.order,
        // One more than asked: whether a next page exists.
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      if (rows.length > limit && last) reply.header('x-next-cursor', writeCursor(last, sort));
      const extras = await ticketExtras(deps.db, page, deps);
      return page.map((t) => ({ ...ticketView(t), ...extras.get(t.id) }));
    },
  );

  app.get<{ Params: Static<typeof Params> }>(
    '/api/tickets/:id',
    {
      schema: {
        tags: ['tickets'],
        summary: 'One ticket with its timeline',
        params: Params,
        response: {
          200: Type.Composite([TicketSchema, Type.Object({ timeline: Type.Array(EventSchema) })]),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (req) => {
      const t = await loadVisible(req.params.id, scopeOf(req).tenantId);
      const timeline = await ticketTimeline(deps.db, t.id);
      const extras = await ticketExtras(deps.db, [t], deps);
      return { ...ticketView(t), ...extras.get(t.id), timeline: timeline.map(eventView) };
    },
  );

  for (const path of Object.keys(ActionBodies) as ActionPath[]) {
    app.post<{ Params: Static<typeof Params>; Body: Record<string, unknown> }>(
      `/api/tickets/:id/${path}`,
      {
        schema: {
          tags: ['tickets'],
          summary: `${path} a ticket`,
          params: Params,
          body: ActionBodies[path],
          response: { 200: TicketSchema, ...errorResponses(400, 401, 404, 409) },
        },
      },
      async (req) => {
        const scope = scopeOf(req);
        const action = toAction(path, req.body ?? {});
        const updated = await deps.db.transaction().execute(async (trx) => {
          const t = await loadVisible(req.params.id, scope.tenantId, trx);
          try {
            return await act(trx, t, action, scope.actor, deps);
          } catch (err) {
            if (err instanceof TransitionError) throw new ApiError(409, err.code, err.message);
            throw err;
          }
        });
        deps.onAction?.(updated, action.kind);
        return ticketView(updated);
      },
    );
  }
}
