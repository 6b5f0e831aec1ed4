// Client report API: stored reports listed and served as JSON, HTML (with charts) and PDF, and a report made on
// demand for a month or any period. A client key sees and asks for its own tenant's; reading one with a provider
// key is audited like any access to a tenant's data.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { scopeOf, tenantFilter } from '../api/auth.js';
import { ApiError } from '../api/errors.js';
import { FieldError, strictRoutes } from '../api/strict.js';
import { auditTenant } from '../audit/hook.js';
import { LANGUAGES, type Language } from '../contracts/model.js';
import type { Db } from '../store/open.js';
import { getTenant } from '../store/tenants.js';
import type { ReportData } from './compute.js';
import { renderReportHtml } from './html.js';
import { type ClientReportTable, reportDb } from './migration.js';
import { datesPeriod, monthPeriod, type Period } from './period.js';
import type { ReportService } from './service.js';

const strict = { additionalProperties: false } as const;
const Id = Type.String({ minLength: 1, maxLength: 200 });

const ReportMetaSchema = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  kind: Type.String({ description: 'monthly | custom' }),
  periodFrom: Type.String(),
  periodTo: Type.String({ description: 'excluded' }),
  label: Type.String({ description: '`YYYY-MM` for a month' }),
  language: Type.String(),
  timeZone: Type.String(),
  generatedAt: Type.String(),
  generatedBy: Type.String(),
  pdf: Type.Boolean({ description: 'whether a PDF was rendered' }),
  pdfSha256: Type.Union([Type.String(), Type.Null()]),
});

function metaView(r: ClientReportTable): Static<typeof ReportMetaSchema> {
  return {
    id: r.id,
    tenant: r.tenant_id,
    kind: r.kind,
    periodFrom: r.period_from,
    periodTo: r.period_to,
    label: (JSON.parse(r.data) as ReportData).period.label,
    language: r.language,
    timeZone: r.time_zone,
    generatedAt: r.generated_at,
    generatedBy: r.generated_by,
    pdf: r.pdf !== null,
    pdfSha256: r.pdf_sha256,
  };
}

const IdParams = Type.Object({ id: Id }, strict);
const ListQuery = Type.Object({ tenant: Type.Optional(Id) }, strict);
const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Lang = Type.Union(LANGUAGES.map((l) => Type.Literal(l)));
const CreateBody = Type.Object(
  {
    tenant: Type.Optional(Id),
    month: Type.Optional(Month),
    from: Type.Optional(Day),
    to: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'last day, included' })),
    language: Type.Optional(Lang),
  },
  { ...strict, description: 'a month (`YYYY-MM`) or a period (`from`..`to`), in the tenant time zone' },
);

export async function reportRoutes(
  app: FastifyInstance,
  deps: { db: Db; reports: ReportService },
): Promise<void> {
  const rdb = reportDb(deps.db);
  const visible = async (id: string, tenant: string | null): Promise<ClientReportTable> => {
    const r = await rdb.selectFrom('client_reports').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r || (tenant !== null && r.tenant_id !== tenant))
      throw new ApiError(404, 'report_not_found', `no report ${id}`);
    return r;
  };

  await strictRoutes(app, (api) => {
    api.get<{ Querystring: Static<typeof ListQuery> }>(
      '/api/reports',
      {
        schema: {
          tags: ['reports'],
          summary: 'Stored client reports, newest period first',
          querystring: ListQuery,
          response: { 200: Type.Array(ReportMetaSchema) },
        },
      },
      async (req) => {
        const tenant = tenantFilter(scopeOf(req), req.query.tenant);
        let q = rdb
          .selectFrom('client_reports')
          .selectAll()
          .orderBy('period_from', 'desc')
          .orderBy('id', 'desc')
          .limit(1000);
        if (tenant !== null) q = q.where('tenant_id', '=', tenant);
        return (await q.execute()).map(metaView);
      },
    );

    api.post<{ Body: Static<typeof CreateBody> }>(
      '/api/reports',
      {
        schema: {
          tags: ['reports'],
          summary: 'Make (and store) a report for a month or any period',
          body: CreateBody,
          response: { 201: Type.Composite([ReportMetaSchema, Type.Object({ data: Type.Unknown() })]) },
        },
      },
      async (req, reply) => {
        const scope = scopeOf(req);
        const tenant = tenantFilter(scope, req.body.tenant);
        if (tenant === null)
          throw new FieldError(400, 'tenant_required', 'a provider key names the tenant', '/tenant');
        if (!(await getTenant(deps.db, tenant)))
          throw new FieldError(404, 'tenant_not_found', `no tenant ${tenant}`, '/tenant');
        const settings = await deps.reports.settingsOf(tenant);
        const language: Language = req.body.language ?? settings.language;
        let period: Period;
        try {
          if (req.body.month && !req.body.from && !req.body.to)
            period = monthPeriod(req.body.month, settings.timeZone);
          else if (req.body.from && req.body.to && !req.body.month)
            period = datesPeriod(req.body.from, req.body.to, settings.timeZone);
          else throw new RangeError('give either month, or from and to');
        } catch (err) {
          throw new FieldError(
            400,
            'invalid_period',
            (err as Error).message,
            req.body.month ? '/month' : '/from',
          );
        }
        const { report } = await deps.reports.generate({
          tenant,
          period,
          kind: 'custom',
          language,
          actor: scope.actor,
        });
        return reply.code(201).send({ ...metaView(report), data: JSON.parse(report.data) as unknown });
      },
    );

    api.get<{ Params: Static<typeof IdParams> }>(
      '/api/reports/:id',
      {
        schema: {
          tags: ['reports'],
          summary: 'A stored report with its figures (the ones its HTML and PDF show)',
          params: IdParams,
          response: { 200: Type.Composite([ReportMetaSchema, Type.Object({ data: Type.Unknown() })]) },
        },
      },
      async (req) => {
        const r = await visible(req.params.id, scopeOf(req).tenantId);
        return { ...metaView(r), data: JSON.parse(r.data) as unknown };
      },
    );

    api.get<{ Params: Static<typeof IdParams> }>(
      '/api/reports/:id/html',
      {
        schema: {
          tags: ['reports'],
          summary: 'A stored report as an HTML page with charts',
          params: IdParams,
        },
      },
      async (req, reply) => {
        const r = await visible(req.params.id, scopeOf(req).tenantId);
        auditTenant(req, r.tenant_id);
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
          .send(renderReportHtml(JSON.parse(r.data) as ReportData));
      },
    );

    api.get<{ Params: Static<typeof IdParams> }>(
      '/api/reports/:id/pdf',
      { schema: { tags: ['reports'], summary: 'A stored report as PDF', params: IdParams } },
      async (req, reply) => {
        const r = await visible(req.params.id, scopeOf(req).tenantId);
        auditTenant(req, r.tenant_id);
        const pdf = r.pdf
          ? Buffer.from(r.pdf, 'base64')
          : await deps.reports.pdfOf(JSON.parse(r.data) as ReportData);
        if (!pdf)
          throw new ApiError(
            503,
            'pdf_unavailable',
            'no Chromium on the collector to print the report (see reports.chromium)',
          );
        return reply
          .type('application/pdf')
          .header(
            'content-disposition',
            `attachment; filename="vigie-${r.tenant_id}-${r.period_from.slice(0, 10)}.pdf"`,
          )
          .send(pdf);
      },
    );
  });
}
