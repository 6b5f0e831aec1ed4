// The forecast API, with strict schemas: unknown parameters and wrong types are refused (no coercion, no
// silent removal), errors are `{error, message, field?}`.
//   GET /api/forecasts                 every forecast with the fit behind it (slope, window, points, quality)
//   GET /api/forecasts/rules           the rules in effect, built-in and configured
//   GET /api/hosts/:host/forecasts     a host's forecasts as lines to draw over its charts, with the crossing
import type { TSchema } from '@sinclair/typebox';
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { scopeOf, tenantFilter } from '../api/auth.js';
import { ApiError } from '../api/errors.js';
import type { Db } from '../store/open.js';
import type { ForecastRule } from './rules.js';
import { listForecasts } from './store.js';
import { ForecastLineSchema, ForecastViewSchema, forecastLine, forecastView } from './view.js';

export const StrictErrorSchema = Type.Object(
  {
    error: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String({ description: 'the request field at fault, e.g. querystring/limit' })),
  },
  { additionalProperties: false },
);

/** A request part that does not match its schema; `field` names it (`querystring/limit`). */
export class RequestFieldError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestFieldError';
  }
}

/** Validates with TypeBox as declared: no type coercion, no removal of unknown properties, defaults not applied. */
const strictCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  return (data: unknown) => {
    if (check.Check(data)) return { value: data };
    const first = check.Errors(data).First();
    const where = [httpPart ?? 'request', ...(first?.path ?? '').split('/').filter(Boolean)].join('/');
    return { error: new RequestFieldError(where, `${where}: ${first?.message ?? 'invalid'}`) };
  };
};

const Text = Type.String({ minLength: 1, maxLength: 300 });
const VERDICTS = [
  'crossing',
  'growing',
  'beyond_horizon',
  'not_approaching',
  'crossed',
  'poor_fit',
  'too_few_points',
  'periodic',
  'receded',
];
const ListQuery = Type.Object(
  {
    tenant: Type.Optional(Text),
    host: Type.Optional(Text),
    check: Type.Optional(Text),
    metric: Type.Optional(Text),
    verdict: Type.Optional(
      Type.String({
        pattern: `^(${VERDICTS.join('|')})(,(${VERDICTS.join('|')}))*$`,
        description: `comma-separated verdicts: ${VERDICTS.join(', ')}`,
      }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: '1..9999, default 500' })),
  },
  { additionalProperties: false },
);
const HostParams = Type.Object({ host: Text }, { additionalProperties: false });
const HostQuery = Type.Object(
  { tenant: Type.Optional(Text), check: Type.Optional(Text), metric: Type.Optional(Text) },
  { additionalProperties: false },
);
const NoQuery = Type.Object({}, { additionalProperties: false });

const RuleSchema = Type.Object(
  {
    id: Type.String(),
    builtIn: Type.Boolean(),
    type: Type.String(),
    metric: Type.String(),
    scope: Type.Record(Type.String(), Type.String(), {
      description: 'tenant, application, environment, host, check, instance when set',
    }),
    limit: Type.Union([Type.Number(), Type.Null()]),
    limitMetric: Type.Union([Type.String(), Type.Null()]),
    direction: Type.String(),
    minGrowthPercent: Type.Union([Type.Number(), Type.Null()]),
    windowSeconds: Type.Number(),
    horizonSeconds: Type.Number(),
    minSpanSeconds: Type.Number(),
    minPoints: Type.Integer(),
    minQuality: Type.Number(),
    label: Type.String(),
  },
  { additionalProperties: false },
);

function ruleView(r: ForecastRule): Static<typeof RuleSchema> {
  const scope: Record<string, string> = {};
  for (const k of ['tenant', 'application', 'environment', 'host', 'check', 'instance'] as const) {
    const v = r[k];
    if (v !== undefined) scope[k] = v;
  }
  return {
    id: r.id,
    builtIn: r.builtIn,
    type: r.type,
    metric: r.metric,
    scope,
    limit: r.limit ?? null,
    limitMetric: r.limitMetric ?? null,
    direction: r.direction,
    minGrowthPercent: r.minGrowthPercent ?? null,
    windowSeconds: r.windowMs / 1000,
    horizonSeconds: r.horizonMs / 1000,
    minSpanSeconds: r.minSpanMs / 1000,
    minPoints: r.minPoints,
    minQuality: r.minQuality,
    label: r.label,
  };
}

export interface ForecastRouteDeps {
  db: Db;
  rules: () => readonly ForecastRule[];
  now: () => Date;
}

const errors = { 400: StrictErrorSchema, 401: StrictErrorSchema, 403: StrictErrorSchema };

/** Registers the routes in their own plugin (inside the API-key scope), with their error rendering. */
export async function forecastRoutes(app: FastifyInstance, deps: ForecastRouteDeps): Promise<void> {
  app.setValidatorCompiler(strictCompiler);
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof RequestFieldError)
      return reply.code(400).send({ error: 'bad_request', message: err.message, field: err.field });
    if (err instanceof ApiError)
      return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    throw err;
  });

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/forecasts',
    { schema: { querystring: ListQuery, response: { 200: Type.Array(ForecastViewSchema), ...errors } } },
    async (req) => {
      const q = req.query;
      const rows = await listForecasts(deps.db, {
        tenantId: tenantFilter(scopeOf(req), q.tenant),
        host: q.host,
        check: q.check,
        metric: q.metric,
        verdicts: q.verdict?.split(','),
        limit: q.limit === undefined ? 500 : Number(q.limit),
      });
      return rows.map(forecastView);
    },
  );

  app.get<{ Querystring: Static<typeof NoQuery> }>(
    '/api/forecasts/rules',
    { schema: { querystring: NoQuery, response: { 200: Type.Array(RuleSchema), ...errors } } },
    async (req) => {
      const tenant = scopeOf(req).tenantId;
      // A client key sees the rules that can apply to its tenant, not other tenants' scoped rules.
      return deps
        .rules()
        .filter((r) => tenant === null || r.tenant === undefined || r.tenant === tenant)
        .map(ruleView);
    },
  );

  app.get<{ Params: Static<typeof HostParams>; Querystring: Static<typeof HostQuery> }>(
    '/api/hosts/:host/forecasts',
    {
      schema: {
        params: HostParams,
        querystring: HostQuery,
        response: { 200: Type.Array(ForecastLineSchema), ...errors },
      },
    },
    async (req) => {
      const rows = await listForecasts(deps.db, {
        tenantId: tenantFilter(scopeOf(req), req.query.tenant),
        host: req.params.host,
        check: req.query.check,
        metric: req.query.metric,
        limit: 1000,
      });
      const rules = new Map(deps.rules().map((r) => [r.id, r]));
      const now = deps.now().getTime();
      return rows.map((r) => forecastLine(r, now + (rules.get(r.rule_id)?.horizonMs ?? 0)));
    },
  );
}
