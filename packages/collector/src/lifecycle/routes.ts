// Lifecycle by API: create, edit and archive tenants; decommission a host; who the caller is and their
// language; a client opening a request. Strict schemas: an unknown property is refused.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { scopeOf, tenantFilter } from '../api/auth.js';
import { ApiError } from '../api/errors.js';
import { assertTimeZone } from '../sla/wall-clock.js';
import type { Db } from '../store/open.js';
import type { TenantTable, TicketTable } from '../store/schema.js';
import { addTenant, getTenant } from '../store/tenants.js';
import type { DueTimes } from '../tickets/apply.js';
import type { Notifier } from '../tickets/notifier.js';
import { decommissionHost } from './hosts.js';
import { archiveTenant, displayTimeZone, LOCALES, updateTenant } from './tenants.js';

const LocaleSchema = Type.Union(
  LOCALES.map((l) => Type.Literal(l)),
  { description: 'en | fr' },
);
const TimeZoneSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'IANA zone, e.g. Europe/Paris',
});

export const TenantViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  contract: Type.Union([Type.Unknown(), Type.Null()], {
    description: 'null: the collector default contract',
  }),
  archivedAt: Type.Union([Type.String(), Type.Null()]),
  archivedBy: Type.Union([Type.String(), Type.Null()]),
  timeZone: Type.String({ description: 'the zone its times are shown in (its own, its calendar’s, or UTC)' }),
  timeZoneSetting: Type.Union([Type.String(), Type.Null()], { description: 'its own zone, if set' }),
  locale: Type.Union([LocaleSchema, Type.Null()]),
});
export type TenantView = Static<typeof TenantViewSchema>;

export function tenantView(t: TenantTable): TenantView {
  return {
    id: t.id,
    name: t.name,
    createdAt: t.created_at,
    contract: t.contract ? (JSON.parse(t.contract) as unknown) : null,
    archivedAt: t.archived_at ?? null,
    archivedBy: t.archived_by ?? null,
    timeZone: displayTimeZone(t),
    timeZoneSetting: t.time_zone ?? null,
    locale: t.locale === 'fr' || t.locale === 'en' ? t.locale : null,
  };
}

const TenantId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$' });
const CreateTenant = Type.Object(
  {
    id: TenantId,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    timeZone: Type.Optional(TimeZoneSchema),
    locale: Type.Optional(LocaleSchema),
  },
  { additionalProperties: false },
);
const EditTenant = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    timeZone: Type.Optional(Type.Union([TimeZoneSchema, Type.Null()])),
    locale: Type.Optional(Type.Union([LocaleSchema, Type.Null()])),
  },
  { additionalProperties: false },
);
const Empty = Type.Optional(Type.Object({}, { additionalProperties: false }));
const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
const HostParams = Type.Object(
  { host: Type.String({ minLength: 1, maxLength: 253 }) },
  { additionalProperties: false },
);
const TenantQuery = Type.Object({ tenant: Type.Optional(Type.String()) }, { additionalProperties: false });

const MeSchema = Type.Object({
  keyId: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.Literal('provider'), Type.Literal('client')]),
  tenant: Type.Union([Type.String(), Type.Null()]),
  locale: Type.Union([LocaleSchema, Type.Null()], { description: 'null: the browser’s language' }),
});
const MeBody = Type.Object(
  { locale: Type.Union([LocaleSchema, Type.Null()]) },
  { additionalProperties: false },
);

const AgentView = Type.Object({
  tenant: Type.String(),
  host: Type.String(),
  decommissionedAt: Type.String(),
  decommissionedBy: Type.String(),
  revokedTokens: Type.Integer(),
  resolvedTickets: Type.Array(Type.String()),
});

export interface LifecycleDeps {
  db: Db;
  now: () => Date;
  newId: () => string;
  dueTimes: DueTimes;
  notifier: Notifier;
  /** Closes the connections of an agent token at once. */
  disconnect: (tokenId: string, reason: string) => number;
  /** Tells the page (live feed) and the dashboards about a ticket change. */
  onTicket?: (t: TicketTable, kind: string) => void;
}

function providerOnly(tenantId: string | null, what: string): void {
  if (tenantId !== null) throw new ApiError(403, 'provider_key_required', `only a provider key ${what}`);
}

export function lifecycleRoutes(app: FastifyInstance, deps: LifecycleDeps): void {
  const { db } = deps;
  const tags = ['lifecycle'];

  app.post<{ Body: Static<typeof CreateTenant> }>(
    '/api/tenants',
    {
      schema: {
        tags,
        summary: 'Create a tenant (provider key)',
        body: CreateTenant,
        response: { 201: TenantViewSchema },
      },
    },
    async (req, reply) => {
      providerOnly(scopeOf(req).tenantId, 'creates tenants');
      const b = req.body;
      checkZone(b.timeZone);
      if (await getTenant(db, b.id))
        throw new ApiError(409, 'tenant_exists', `tenant ${b.id} exists already`);
      await addTenant(db, b.id, b.name, deps.now());
      await updateTenant(db, b.id, { timeZone: b.timeZone, locale: b.locale });
      return reply.code(201).send(tenantView((await getTenant(db, b.id)) as TenantTable));
    },
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof EditTenant> }>(
    '/api/tenants/:id',
    {
      schema: {
        tags,
        summary: "Edit a tenant's name, display time zone or language (provider key)",
        params: IdParams,
        body: EditTenant,
        response: { 200: TenantViewSchema },
      },
    },
    async (req) => {
      providerOnly(scopeOf(req).tenantId, 'edits tenants');
      const t = await getTenant(db, req.params.id);
      if (!t) throw new ApiError(404, 'tenant_not_found', `no tenant ${req.params.id}`);
      if (t.archived_at) throw new ApiError(409, 'tenant_archived', `tenant ${t.id} is archived`);
      checkZone(req.body.timeZone ?? undefined);
      await updateTenant(db, t.id, req.body);
      return tenantView((await getTenant(db, t.id)) as TenantTable);
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/tenants/:id/archive',
    {
      schema: {
        tags,
        summary: 'Archive a tenant: revoke its agents and keys, stop silence detection, keep its history',
        params: IdParams,
        body: Empty,
        response: { 200: TenantViewSchema },
      },
    },
    async (req) => {
      const scope = scopeOf(req);
      providerOnly(scope.tenantId, 'archives tenants');
      const t = await getTenant(db, req.params.id);
      if (!t) throw new ApiError(404, 'tenant_not_found', `no tenant ${req.params.id}`);
      if (t.archived_at) throw new ApiError(409, 'tenant_archived', `tenant ${t.id} is archived already`);
      const tokens = await db
        .transaction()
        .execute((trx) => archiveTenant(trx, t.id, scope.actor, deps.now()));
      for (const id of tokens) deps.disconnect(id, `tenant ${t.id} was archived`);
      return tenantView((await getTenant(db, t.id)) as TenantTable);
    },
  );

  app.post<{ Params: Static<typeof HostParams>; Querystring: Static<typeof TenantQuery> }>(
    '/api/hosts/:host/decommission',
    {
      schema: {
        tags,
        summary:
          'Decommission a host: revoke and disconnect its agent, stop silence detection, keep its history',
        params: HostParams,
        querystring: TenantQuery,
        body: Empty,
        response: { 200: AgentView },
      },
    },
    async (req) => {
      const scope = scopeOf(req);
      const tenant = tenantFilter(scope, req.query.tenant);
      let q = db.selectFrom('agents').selectAll().where('host', '=', req.params.host);
      if (tenant !== null) q = q.where('tenant_id', '=', tenant);
      const agents = await q.execute();
      if (agents.length === 0) throw new ApiError(404, 'host_not_found', `no host ${req.params.host}`);
      if (agents.length > 1)
        throw new ApiError(
          400,
          'tenant_required',
          `host ${req.params.host} is in several tenants: add ?tenant=`,
        );
      const agent = agents[0] as (typeof agents)[number];
      if (agent.decommissioned_at)
        throw new ApiError(
          409,
          'already_decommissioned',
          `host ${agent.host} was decommissioned at ${agent.decommissioned_at}`,
        );
      const done = await db.transaction().execute((trx) => decommissionHost(trx, agent, scope.actor, deps));
      for (const id of done.tokenIds) deps.disconnect(id, `host ${agent.host} was decommissioned`);
      for (const t of done.resolved) deps.onTicket?.(t, 'resolved');
      return {
        tenant: agent.tenant_id,
        host: agent.host,
        decommissionedAt: done.agent.decommissioned_at as string,
        decommissionedBy: scope.actor,
        revokedTokens: done.tokenIds.length,
        resolvedTickets: done.resolved.map((t) => t.id),
      };
    },
  );

  app.get(
    '/api/me',
    { schema: { tags, summary: 'Who this API key is, and its language', response: { 200: MeSchema } } },
    async (req) => me(db, scopeOf(req).keyId),
  );

  app.put<{ Body: Static<typeof MeBody> }>(
    '/api/me',
    {
      schema: {
        tags,
        summary: 'Set the language of the page (and texts) for this key',
        body: MeBody,
        response: { 200: MeSchema },
      },
    },
    async (req) => {
      const { keyId } = scopeOf(req);
      await db.updateTable('api_keys').set({ locale: req.body.locale }).where('id', '=', keyId).execute();
      return me(db, keyId);
    },
  );
}

function checkZone(zone: string | undefined): void {
  if (zone === undefined) return;
  try {
    assertTimeZone(zone);
  } catch (err) {
    throw new ApiError(400, 'invalid_time_zone', `/timeZone: ${(err as Error).message}`);
  }
}

async function me(db: Db, keyId: string): Promise<Static<typeof MeSchema>> {
  const k = await db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirstOrThrow();
  return {
    keyId: k.id,
    name: k.name,
    role: k.role === 'client' ? 'client' : 'provider',
    tenant: k.tenant_id,
    locale: k.locale === 'fr' || k.locale === 'en' ? k.locale : null,
  };
}
