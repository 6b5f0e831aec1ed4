// Drift API: an application's parity report (JSON, or Markdown to hand to the client), its ignore patterns,
// and per host the snapshot history, the approved baseline and the drift from it. A client API key sees only
// its own tenant; a provider key names the tenant, or gets the only tenant with that application or host.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { scopeOf, TenantId, tenantFilter } from '../api/auth.js';
import { ApiError, errorResponses } from '../api/errors.js';
import type { Db } from '../store/open.js';
import { approveBaseline, baselineDrift, DriftNotFound } from './baseline.js';
import { getIgnoreSettings, setIgnorePatterns } from './ignore.js';
import { toMarkdown } from './parity.js';
import { applicationHosts, parityReportFor } from './service.js';
import { listSnapshots } from './snapshots.js';

export interface DriftRouteDeps {
  db: Db;
  now: () => Date;
  /** Told when an application's ignore patterns changed, to update its drift tickets before answering. */
  onIgnoreChanged?: (tenant: string, application: string) => Promise<void>;
}

const TAGS = ['drift'];
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const SeveritySchema = Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')]);
const CountsSchema = Type.Object({ critical: Type.Integer(), warning: Type.Integer(), info: Type.Integer() });

const DifferenceSchema = Type.Object({
  item: Type.String({ description: 'item key, e.g. `runtime.postgresql`' }),
  production: Nullable(Type.String({ description: 'secrets appear only as a truncated HMAC' })),
  other: Nullable(Type.String()),
  severity: SeveritySchema,
  rule: Type.String({ description: 'the rule that set the severity' }),
  reason: Type.String(),
  firstSeenAt: Type.String({ description: 'since when the difference exists' }),
});

const ReviewedSchema = Type.Composite([
  DifferenceSchema,
  Type.Object({
    decision: Type.Union([Type.Literal('ignore'), Type.Literal('accept')]),
    decidedBy: Type.String(),
    decidedAt: Type.String(),
  }),
]);

const ReportSchema = Type.Object({
  tenant: Type.String(),
  application: Type.String(),
  generatedAt: Type.String(),
  reference: Type.Object({ host: Type.String(), environment: Type.String(), takenAt: Type.String() }),
  comparisons: Type.Array(
    Type.Object({
      environment: Type.String(),
      host: Type.String(),
      takenAt: Type.String(),
      differences: Type.Array(DifferenceSchema),
      counts: CountsSchema,
      atParity: Type.Boolean({ description: 'no critical and no warning difference' }),
      ignoredItems: Type.Integer(),
      reviewed: Type.Optional(
        Type.Array(ReviewedSchema, { description: 'ignored or accepted: not counted' }),
      ),
    }),
  ),
  ignore: Type.Array(Type.String()),
  notes: Type.Array(Type.String()),
});

const SnapshotSchema = Type.Object({
  id: Type.String(),
  checkId: Type.String(),
  takenAt: Type.String(),
  receivedAt: Type.String(),
  full: Type.Boolean(),
  items: Type.Integer(),
  removed: Type.Integer(),
  changes: Nullable(
    Type.Object({
      added: Type.Integer(),
      changed: Type.Integer(),
      removed: Type.Integer(),
      items: Type.Array(Type.String()),
    }),
  ),
});

const BaselineSchema = Type.Object({
  host: Type.String(),
  snapshotId: Type.String(),
  takenAt: Type.String(),
  approvedAt: Type.String(),
  approvedBy: Type.String(),
  items: Type.Integer(),
});

const DriftSchema = Type.Object({
  host: Type.String(),
  baseline: BaselineSchema,
  current: Type.Object({ snapshotId: Type.String(), takenAt: Type.String() }),
  differences: Type.Array(
    Type.Object({
      item: Type.String(),
      before: Nullable(Type.String()),
      after: Nullable(Type.String()),
      firstSeenAt: Type.String(),
      change: Type.Union([Type.Literal('changed'), Type.Literal('added'), Type.Literal('removed')]),
    }),
  ),
});

const IgnoreSchema = Type.Object({
  application: Type.String(),
  defaults: Type.Array(Type.String()),
  patterns: Type.Array(Type.String()),
  effective: Type.Array(Type.String()),
  updatedAt: Nullable(Type.String()),
  updatedBy: Nullable(Type.String()),
});

const AppParams = Type.Object({ app: Type.String({ minLength: 1, maxLength: 200 }) });
const HostParams = Type.Object({ host: Type.String({ minLength: 1, maxLength: 255 }) });
const TenantQuery = Type.Object({ tenant: Type.Optional(TenantId) }, { additionalProperties: false });
const ParityQuery = Type.Object(
  {
    tenant: Type.Optional(TenantId),
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('markdown')], {
        description: 'json (default) or markdown',
      }),
    ),
  },
  { additionalProperties: false },
);
const HistoryQuery = Type.Object(
  {
    tenant: Type.Optional(TenantId),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'default 50' })),
  },
  { additionalProperties: false },
);
const BaselineBody = Type.Union(
  [
    Type.Object(
      {
        snapshotId: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 200,
            description: 'a snapshot id of the history (default: the latest snapshot)',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    // No body at all: fastify validates a missing body as null.
    Type.Null(),
  ],
  { description: 'optional' },
);
const IgnoreBody = Type.Object(
  {
    patterns: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), {
      maxItems: 500,
      description: 'glob patterns of item keys, `*` matching any characters (e.g. `config.*.DB_HOST`)',
    }),
  },
  { additionalProperties: false },
);

const errors = errorResponses(400, 401, 403, 404);

/** The tenant a request is about: the client key's, or for a provider key the requested or the only one. */
async function resolveTenant(
  db: Db,
  tenant: string | null,
  what: 'application' | 'host',
  name: string,
): Promise<string> {
  if (tenant !== null) return tenant;
  const fromAgents = await db
    .selectFrom('agents')
    .select('tenant_id')
    .distinct()
    .where(what, '=', name)
    .execute();
  const ids = new Set(fromAgents.map((r) => r.tenant_id));
  if (what === 'host' && ids.size === 0) {
    const fromSnapshots = await db
      .selectFrom('drift_snapshots')
      .select('tenant_id')
      .distinct()
      .where('host', '=', name)
      .execute();
    for (const r of fromSnapshots) ids.add(r.tenant_id);
  }
  const [only, ...more] = [...ids].sort();
  if (only === undefined) throw new ApiError(404, `${what}_not_found`, `no ${what} ${name}`);
  if (more.length > 0)
    throw new ApiError(
      400,
      'tenant_required',
      `${what} ${name} exists in several tenants (${[only, ...more].join(', ')}): add ?tenant=`,
    );
  return only;
}

function notFound(err: unknown): never {
  if (err instanceof DriftNotFound) throw new ApiError(404, err.code, err.message);
  throw err;
}

function fileName(application: string, at: string): string {
  const safe = application.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'application';
  return `parity-${safe}-${at.slice(0, 10)}.md`;
}

export function registerDriftRoutes(app: FastifyInstance, deps: DriftRouteDeps): void {
  const { db } = deps;

  const applicationTenant = async (scopeTenant: string | null, application: string): Promise<string> => {
    const tenant = await resolveTenant(db, scopeTenant, 'application', application);
    if ((await applicationHosts(db, tenant, application)).length === 0)
      throw new ApiError(404, 'application_not_found', `no application ${application}`);
    return tenant;
  };

  const hostTenant = async (scopeTenant: string | null, host: string): Promise<string> => {
    const tenant = await resolveTenant(db, scopeTenant, 'host', host);
    if (scopeTenant === null) return tenant;
    const known =
      (await db
        .selectFrom('agents')
        .select('host')
        .where('tenant_id', '=', tenant)
        .where('host', '=', host)
        .executeTakeFirst()) ??
      (await db
        .selectFrom('drift_snapshots')
        .select('host')
        .where('tenant_id', '=', tenant)
        .where('host', '=', host)
        .limit(1)
        .executeTakeFirst());
    if (!known) throw new ApiError(404, 'host_not_found', `no host ${host}`);
    return tenant;
  };

  app.get<{ Params: Static<typeof AppParams>; Querystring: Static<typeof ParityQuery> }>(
    '/api/applications/:app/parity',
    {
      schema: {
        tags: TAGS,
        summary: 'Parity report of an application: production compared with iso-production and staging',
        description:
          'Each difference has a severity from documented rules (a different database major version is ' +
          'critical; fewer CPU cores or less memory than production is a warning; ...). `format=markdown` ' +
          'returns the report as a Markdown document to hand to the client (attachment).',
        params: AppParams,
        querystring: ParityQuery,
        response: {
          200: {
            description: 'the report',
            content: {
              'application/json': { schema: ReportSchema },
              'text/markdown': { schema: Type.String() },
            },
          },
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const application = req.params.app;
      const tenant = await applicationTenant(tenantFilter(scopeOf(req), req.query.tenant), application);
      const report = await parityReportFor(db, tenant, application, deps.now());
      if (!report)
        throw new ApiError(
          404,
          'no_parity_report',
          `no production host of ${application} has sent a snapshot: nothing to compare with`,
        );
      if (req.query.format === 'markdown') {
        return reply
          .type('text/markdown; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="${fileName(application, report.generatedAt)}"`,
          )
          .send(toMarkdown(report));
      }
      return reply.type('application/json; charset=utf-8').send(report);
    },
  );

  app.get<{ Params: Static<typeof AppParams>; Querystring: Static<typeof TenantQuery> }>(
    '/api/applications/:app/parity/ignore',
    {
      schema: {
        tags: TAGS,
        summary: 'Items the parity report of an application does not compare',
        params: AppParams,
        querystring: TenantQuery,
        response: { 200: IgnoreSchema, ...errors },
      },
    },
    async (req) => {
      const application = req.params.app;
      const tenant = await applicationTenant(tenantFilter(scopeOf(req), req.query.tenant), application);
      return getIgnoreSettings(db, tenant, application);
    },
  );

  app.put<{
    Params: Static<typeof AppParams>;
    Querystring: Static<typeof TenantQuery>;
    Body: Static<typeof IgnoreBody>;
  }>(
    '/api/applications/:app/parity/ignore',
    {
      schema: {
        tags: TAGS,
        summary: "Sets an application's own ignore patterns (expected differences), on top of the defaults",
        description:
          'The parity report and the drift tickets of the application are updated before the answer: a ticket ' +
          'whose differences are now all ignored is resolved at once.',
        params: AppParams,
        querystring: TenantQuery,
        body: IgnoreBody,
        response: { 200: IgnoreSchema, ...errors },
      },
    },
    async (req) => {
      const scope = scopeOf(req);
      const application = req.params.app;
      const tenant = await applicationTenant(tenantFilter(scope, req.query.tenant), application);
      const settings = await setIgnorePatterns(db, {
        tenantId: tenant,
        application,
        patterns: req.body.patterns,
        by: scope.actor,
        now: deps.now(),
      });
      await deps.onIgnoreChanged?.(tenant, application);
      return settings;
    },
  );

  app.get<{ Params: Static<typeof HostParams>; Querystring: Static<typeof HistoryQuery> }>(
    '/api/hosts/:host/snapshots',
    {
      schema: {
        tags: TAGS,
        summary: "A host's snapshot history, newest first, with what each snapshot changed",
        params: HostParams,
        querystring: HistoryQuery,
        response: { 200: Type.Array(SnapshotSchema), ...errors },
      },
    },
    async (req) => {
      const host = req.params.host;
      const tenant = await hostTenant(tenantFilter(scopeOf(req), req.query.tenant), host);
      return listSnapshots(db, tenant, host, req.query.limit ?? 50);
    },
  );

  app.get<{ Params: Static<typeof HostParams>; Querystring: Static<typeof TenantQuery> }>(
    '/api/hosts/:host/drift',
    {
      schema: {
        tags: TAGS,
        summary: 'What changed on a host since its approved baseline: before, after, and since when',
        params: HostParams,
        querystring: TenantQuery,
        response: { 200: DriftSchema, ...errors },
      },
    },
    async (req) => {
      const host = req.params.host;
      const tenant = await hostTenant(tenantFilter(scopeOf(req), req.query.tenant), host);
      const drift = await baselineDrift(db, tenant, host);
      if (!drift) throw new ApiError(404, 'no_baseline', `host ${host} has no approved baseline`);
      return drift;
    },
  );

  app.post<{
    Params: Static<typeof HostParams>;
    Querystring: Static<typeof TenantQuery>;
    Body: Static<typeof BaselineBody> | undefined;
  }>(
    '/api/hosts/:host/baseline',
    {
      schema: {
        tags: TAGS,
        summary: "Approves a host's snapshot (by default its latest) as its baseline",
        params: HostParams,
        querystring: TenantQuery,
        body: BaselineBody,
        response: { 200: BaselineSchema, ...errors },
      },
    },
    async (req) => {
      const scope = scopeOf(req);
      const host = req.params.host;
      const tenant = await hostTenant(tenantFilter(scope, req.query.tenant), host);
      return approveBaseline(db, {
        tenantId: tenant,
        host,
        snapshotId: req.body?.snapshotId,
        approvedBy: scope.actor,
        now: deps.now(),
      }).catch(notFound);
    },
  );
}
