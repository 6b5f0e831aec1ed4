// The maintenance API: list, create (scheduled, recurring or immediate), read and end windows and silences.
// Every change reloads the in-memory book at once, so the ingest path sees it from the next result on.
import { type Static, Type } from '@sinclair/typebox';
import { parseDuration } from '@vigie/shared';
import type { FastifyInstance } from 'fastify';
import { scopeOf, tenantFilter } from '../api/auth.js';
import { ApiError } from '../api/errors.js';
import type { Db } from '../store/open.js';
import { getTenant } from '../store/tenants.js';
import type { MaintenanceBook } from './book.js';
import { RecurrenceSchema, recurrenceProblems, runsBetween } from './recurrence.js';
import type { MaintenanceWindowTable } from './schema.js';
import { endWindow, getWindow, insertWindow, listWindows, timingOf } from './store.js';

const Name = (description: string) => Type.String({ minLength: 1, maxLength: 300, description });
const Instant = (description: string) => Type.String({ format: 'date-time', description });

export const WindowSchema = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  application: Type.Union([Type.String(), Type.Null()]),
  host: Type.Union([Type.String(), Type.Null()]),
  checkId: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String({ description: 'window (scheduled) | silence (immediate)' }),
  startsAt: Type.String(),
  endsAt: Type.Union([Type.String(), Type.Null()]),
  recurrence: Type.Union([RecurrenceSchema, Type.Null()]),
  reason: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  endedAt: Type.Union([Type.String(), Type.Null()], { description: 'when it was ended early or cancelled' }),
  endedBy: Type.Union([Type.String(), Type.Null()]),
  active: Type.Boolean({ description: 'running now' }),
  nextRun: Type.Union(
    [Type.Object({ from: Type.String(), to: Type.Union([Type.String(), Type.Null()]) }), Type.Null()],
    {
      description: 'the run under way, or the next one within 60 days',
    },
  ),
});
export type WindowView = Static<typeof WindowSchema>;

const CreateBody = Type.Object(
  {
    tenant: Type.Optional(Name('the tenant; default: the key’s own')),
    application: Type.Optional(Name('only this application')),
    host: Type.Optional(Name('only this host')),
    checkId: Type.Optional(Name('only this check id')),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
    startsAt: Type.Optional(Instant('default: now (a silence)')),
    endsAt: Type.Optional(Instant('end of a one-off window, or last instant of a recurring one')),
    duration: Type.Optional(
      Type.String({ pattern: '^\\d+(?:\\.\\d+)?(ms|s|m|h|d|w)$', description: 'instead of endsAt: e.g. 2h' }),
    ),
    recurrence: Type.Optional(RecurrenceSchema),
  },
  { additionalProperties: false },
);
const ListQuery = Type.Object(
  {
    tenant: Type.Optional(Type.String()),
    application: Type.Optional(Type.String()),
    host: Type.Optional(Type.String()),
    from: Type.Optional(Instant('only windows running at some time from then')),
    to: Type.Optional(Instant('... until then')),
    active: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  },
  { additionalProperties: false },
);
const Params = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

const NEXT_RUN_HORIZON_MS = 60 * 86_400_000;

export function windowView(r: MaintenanceWindowTable, now: Date): WindowView {
  const t = now.getTime();
  // A run under way started up to a week ago at most (a recurring run lasts 7 days at most).
  const run = runsBetween(timingOf(r), t - 8 * 86_400_000, t + NEXT_RUN_HORIZON_MS).find((iv) => iv.end > t);
  return {
    id: r.id,
    tenant: r.tenant_id,
    application: r.application,
    host: r.host,
    checkId: r.check_id,
    kind: r.kind,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    recurrence: r.recurrence ? (JSON.parse(r.recurrence) as Static<typeof RecurrenceSchema>) : null,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
    endedAt: r.cancelled_at,
    endedBy: r.cancelled_by,
    active: run !== undefined && run.start <= t,
    nextRun: run
      ? {
          from: new Date(run.start).toISOString(),
          to: run.end < t + NEXT_RUN_HORIZON_MS ? new Date(run.end).toISOString() : null,
        }
      : null,
  };
}

export interface MaintenanceRouteDeps {
  db: Db;
  now: () => Date;
  newId: () => string;
  book: MaintenanceBook;
}

export function maintenanceRoutes(app: FastifyInstance, deps: MaintenanceRouteDeps): void {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/maintenance',
    {
      schema: {
        tags: ['maintenance'],
        summary: 'Maintenance windows and silences (newest first)',
        querystring: ListQuery,
        response: { 200: Type.Array(WindowSchema) },
      },
    },
    async (req) => {
      const q = req.query;
      const now = deps.now();
      const rows = await listWindows(deps.db, {
        tenantId: tenantFilter(scopeOf(req), q.tenant),
        application: q.application,
        host: q.host,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
      });
      const views = rows.map((r) => windowView(r, now));
      if (q.active === undefined) return views;
      return views.filter((v) => v.active === (q.active === 'true'));
    },
  );

  app.get<{ Params: Static<typeof Params> }>(
    '/api/maintenance/:id',
    { schema: { tags: ['maintenance'], params: Params, response: { 200: WindowSchema } } },
    async (req) => windowView(await visible(deps.db, req.params.id, scopeOf(req).tenantId), deps.now()),
  );

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/maintenance',
    {
      schema: {
        tags: ['maintenance'],
        summary: 'Schedule a window (startsAt/endsAt, or a recurrence) or silence now (duration)',
        description:
          'During a window covering a check, no ticket opens for it, no notification about its tickets goes ' +
          'out and their SLA clocks stop. The scope is the tenant, narrowed by application, host and check.',
        body: CreateBody,
        response: { 201: WindowSchema },
      },
    },
    async (req, reply) => {
      const scope = scopeOf(req);
      const b = req.body;
      const tenantId = tenantFilter(scope, b.tenant);
      if (tenantId === null)
        throw new ApiError(400, 'tenant_required', 'tenant: required with a provider key');
      if (!(await getTenant(deps.db, tenantId)))
        throw new ApiError(404, 'tenant_not_found', `no tenant ${tenantId}`);
      const now = deps.now();
      const row = validWindow(b, tenantId, now, scope.actor, deps.newId());
      await insertWindow(deps.db, row);
      await deps.book.reload();
      return reply.code(201).send(windowView(row, now));
    },
  );

  app.post<{ Params: Static<typeof Params> }>(
    '/api/maintenance/:id/end',
    {
      schema: {
        tags: ['maintenance'],
        summary: 'End a window now (or cancel one that has not started); its history stays',
        params: Params,
        body: Type.Optional(Type.Object({}, { additionalProperties: false })),
        response: { 200: WindowSchema },
      },
    },
    async (req) => {
      const scope = scopeOf(req);
      const row = await visible(deps.db, req.params.id, scope.tenantId);
      if (row.cancelled_at)
        throw new ApiError(409, 'already_ended', `window ${row.id} was ended at ${row.cancelled_at}`);
      const now = deps.now();
      await endWindow(deps.db, row.id, now, scope.actor);
      await deps.book.reload();
      return windowView((await getWindow(deps.db, row.id)) as MaintenanceWindowTable, now);
    },
  );
}

async function visible(db: Db, id: string, tenant: string | null): Promise<MaintenanceWindowTable> {
  const row = await getWindow(db, id);
  if (!row || (tenant !== null && row.tenant_id !== tenant))
    throw new ApiError(404, 'window_not_found', `no maintenance window ${id}`);
  return row;
}

/** The row for a create request, or a 400 naming the field that is wrong. */
function validWindow(
  b: Static<typeof CreateBody>,
  tenantId: string,
  now: Date,
  actor: string,
  id: string,
): MaintenanceWindowTable {
  const bad = (field: string, message: string): never => {
    throw new ApiError(400, 'invalid_window', `${field}: ${message}`);
  };
  const startsAt = b.startsAt ? new Date(b.startsAt) : now;
  if (b.endsAt !== undefined && b.duration !== undefined)
    bad('/duration', 'give endsAt or duration, not both');
  let endsAt: Date | undefined;
  if (b.endsAt !== undefined) endsAt = new Date(b.endsAt);
  else if (b.duration !== undefined) endsAt = new Date(startsAt.getTime() + parseDuration(b.duration));
  if (b.recurrence) {
    const problems = recurrenceProblems(b.recurrence, '/recurrence');
    if (problems.length > 0) throw new ApiError(400, 'invalid_window', problems.join('; '));
    if (b.duration !== undefined) bad('/duration', 'a recurring window lasts recurrence.duration each time');
  } else if (!endsAt) bad('/endsAt', 'a one-off window needs endsAt or duration');
  if (endsAt && endsAt.getTime() <= startsAt.getTime()) bad('/endsAt', 'must be after startsAt');
  if (endsAt && endsAt.getTime() <= now.getTime()) bad('/endsAt', 'is in the past');
  return {
    id,
    tenant_id: tenantId,
    application: b.application ?? null,
    host: b.host ?? null,
    check_id: b.checkId ?? null,
    kind: b.startsAt === undefined && !b.recurrence ? 'silence' : 'window',
    starts_at: startsAt.toISOString(),
    ends_at: endsAt ? endsAt.toISOString() : null,
    recurrence: b.recurrence ? JSON.stringify(b.recurrence) : null,
    reason: b.reason,
    created_by: actor,
    created_at: now.toISOString(),
    cancelled_at: null,
    cancelled_by: null,
  };
}
