// Contract API: contracts and their ledger (top-ups, corrections), what the accounting decided about tickets
// (out of scope, beyond contract, and the provider's decision), manual requests, and régie work logs with
// monthly time sheets. A provider key writes; a client key reads its own tenant and opens its own requests.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type Scope, scopeOf, tenantFilter } from '../api/auth.js';
import { ApiError } from '../api/errors.js';
import { FieldError, strictRoutes } from '../api/strict.js';
import { ticketView } from '../api/tickets.js';
import { monthPeriod } from '../reports/period.js';
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import { getTenant } from '../store/tenants.js';
import { getTicket } from '../store/tickets.js';
import { timelineEvent } from '../tickets/apply.js';
import { PRIORITIES } from '../tickets/priority.js';
import type { AccountingDeps } from './accounting.js';
import { appendEntry, balanceOf, correctEntry, LedgerError, listEntries } from './ledger.js';
import {
  type ContractTicketTable,
  contractDb,
  type LedgerEntryTable,
  type WorkLogTable,
} from './migration.js';
import { type ContractDefinition, ContractDefinitionSchema, definitionProblems } from './model.js';
import { openRequest, type RequestDeps } from './requests.js';
import { type Contract, createContract, getContract, listContracts, replaceDefinition } from './store.js';
import { addWorkLog, cancelWorkLog, getWorkLog, listWorkLogs, timeTotals } from './worklogs.js';

export interface ContractRouteDeps extends RequestDeps {
  db: Db;
  /** Runs an accounting pass at once (after a top-up or a decision), so balances and alerts follow. */
  account: () => Promise<unknown>;
  notices: AccountingDeps['notices'];
  /** Tells the rest of the collector (live page, dashboards) about a ticket opened here. */
  onOpened?: (ticket: TicketTable) => void;
}

const strict = { additionalProperties: false } as const;
const Id = Type.String({ minLength: 1, maxLength: 200 });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const IdParams = Type.Object({ id: Id }, strict);
const TenantQuery = Type.Object({ tenant: Type.Optional(Id) }, strict);

const ContractSchema = Type.Composite([
  Type.Object({
    id: Type.String(),
    tenant: Type.String(),
    createdAt: Type.String(),
    createdBy: Type.String(),
    updatedAt: Type.String(),
    balance: Nullable(Type.Integer({ description: 'ticket books: units left' })),
    balanceAlert: Type.String({ description: 'ok | low | exhausted (ticket books)' }),
  }),
  ContractDefinitionSchema,
]);
type ContractView = Static<typeof ContractSchema>;

const EntrySchema = Type.Object({
  id: Type.String(),
  contract: Type.String(),
  tenant: Type.String(),
  kind: Type.String({ description: 'initial | top_up | deduction | correction' }),
  units: Type.Integer({ description: 'positive credits, negative debits' }),
  ticketId: Nullable(Type.String()),
  priority: Nullable(Type.String()),
  supportLevel: Nullable(Type.String()),
  reason: Type.String(),
  actor: Type.String(),
  effectiveAt: Type.String(),
  recordedAt: Type.String(),
  corrects: Nullable(Type.String()),
});

const MarkSchema = Type.Object({
  ticketId: Type.String(),
  tenant: Type.String(),
  contract: Nullable(Type.String()),
  scope: Type.String({ description: 'counted | not_counted | out_of_scope | beyond_contract' }),
  reason: Type.String(),
  markedAt: Type.String(),
  decision: Nullable(Type.String({ description: 'charge | waive | bill_separately' })),
  decisionNote: Nullable(Type.String()),
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Type.String()),
  ticket: Type.Object({
    title: Type.String(),
    host: Type.String(),
    application: Type.String(),
    kind: Type.String(),
    priority: Type.String(),
    status: Type.String(),
    openedAt: Type.String(),
  }),
});

const WorkLogSchema = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  ticketId: Type.String(),
  application: Type.String(),
  person: Type.String(),
  minutes: Type.Integer(),
  description: Type.String(),
  workedAt: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  cancelledAt: Nullable(Type.String()),
  cancelledBy: Nullable(Type.String()),
});

const Figures = { minutes: Type.Integer(), hours: Type.Number(), days: Type.Number() };
export const TimeTotalsSchema = Type.Object({
  ...Figures,
  byPerson: Type.Array(Type.Object({ person: Type.String(), ...Figures })),
  byApplication: Type.Array(Type.Object({ application: Type.String(), ...Figures })),
  contractedDays: Type.Number(),
  usedPercent: Nullable(Type.Number()),
});

const Instant = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$',
});

function entryView(e: LedgerEntryTable): Static<typeof EntrySchema> {
  return {
    id: e.id,
    contract: e.contract_id,
    tenant: e.tenant_id,
    kind: e.kind,
    units: Number(e.units),
    ticketId: e.ticket_id,
    priority: e.priority,
    supportLevel: e.support_level,
    reason: e.reason,
    actor: e.actor,
    effectiveAt: e.effective_at,
    recordedAt: e.recorded_at,
    corrects: e.corrects,
  };
}

function workLogView(l: WorkLogTable): Static<typeof WorkLogSchema> {
  return {
    id: l.id,
    tenant: l.tenant_id,
    ticketId: l.ticket_id,
    application: l.application,
    person: l.person,
    minutes: Number(l.minutes),
    description: l.description,
    workedAt: l.worked_at,
    createdAt: l.created_at,
    createdBy: l.created_by,
    cancelledAt: l.cancelled_at,
    cancelledBy: l.cancelled_by,
  };
}

export async function contractView(db: Db, c: Contract): Promise<ContractView> {
  return {
    id: c.row.id,
    tenant: c.row.tenant_id,
    createdAt: c.row.created_at,
    createdBy: c.row.created_by,
    updatedAt: c.row.updated_at,
    balance: c.definition.ticketBook ? await balanceOf(db, c.row.id) : null,
    balanceAlert: c.row.balance_alert,
    ...c.definition,
  };
}

function requireProvider(scope: Scope, what: string): void {
  if (scope.tenantId !== null)
    throw new ApiError(403, 'provider_key_required', `only a provider key ${what}`);
}

function checkDefinition(body: unknown): ContractDefinition {
  const problems = definitionProblems(body);
  if (problems.length > 0) {
    const first = problems[0] as string;
    const field = first.startsWith('/') ? first.split(':')[0] : '/';
    throw new FieldError(400, 'invalid_contract', problems.join('; '), field as string);
  }
  return body as ContractDefinition;
}

export async function contractRoutes(app: FastifyInstance, deps: ContractRouteDeps): Promise<void> {
  const { db } = deps;
  /** A contract the key may see; a client key gets the same 404 for another tenant's as for a missing one. */
  const visibleContract = async (id: string, scope: Scope): Promise<Contract> => {
    const c = await getContract(db, id);
    if (!c || (scope.tenantId !== null && c.row.tenant_id !== scope.tenantId))
      throw new ApiError(404, 'contract_not_found', `no contract ${id}`);
    return c;
  };
  const visibleTicket = async (id: string, scope: Scope) => {
    const t = await getTicket(db, id);
    if (!t || (scope.tenantId !== null && t.tenant_id !== scope.tenantId))
      throw new ApiError(404, 'ticket_not_found', `no ticket ${id}`);
    return t;
  };

  await strictRoutes(app, (api) => {
    api.get<{ Querystring: Static<typeof TenantQuery> }>(
      '/api/contracts',
      {
        schema: {
          tags: ['contracts'],
          summary: 'Contracts, with the balance of ticket books',
          querystring: TenantQuery,
          response: { 200: Type.Array(ContractSchema) },
        },
      },
      async (req) => {
        const list = await listContracts(db, tenantFilter(scopeOf(req), req.query.tenant));
        return Promise.all(list.map((c) => contractView(db, c)));
      },
    );

    api.post<{ Body: ContractDefinition & { tenant: string } }>(
      '/api/contracts',
      {
        schema: {
          tags: ['contracts'],
          summary: 'Create a contract (provider key)',
          body: Type.Composite([Type.Object({ tenant: Id }), ContractDefinitionSchema], strict),
          response: { 201: ContractSchema },
        },
      },
      async (req, reply) => {
        const scope = scopeOf(req);
        requireProvider(scope, 'creates contracts');
        const { tenant, ...definition } = req.body;
        if (!(await getTenant(db, tenant)))
          throw new FieldError(404, 'tenant_not_found', `no tenant ${tenant}`, '/tenant');
        const checked = checkDefinition(definition);
        const c = await db.transaction().execute((trx) =>
          createContract(trx, {
            id: deps.newId(),
            tenantId: tenant,
            definition: checked,
            actor: scope.actor,
            now: deps.now(),
            newId: deps.newId,
          }),
        );
        await deps.account();
        return reply.code(201).send(await contractView(db, (await getContract(db, c.row.id)) as Contract));
      },
    );

    api.get<{ Params: Static<typeof IdParams> }>(
      '/api/contracts/:id',
      { schema: { tags: ['contracts'], params: IdParams, response: { 200: ContractSchema } } },
      async (req) => contractView(db, await visibleContract(req.params.id, scopeOf(req))),
    );

    api.put<{ Params: Static<typeof IdParams>; Body: ContractDefinition }>(
      '/api/contracts/:id',
      {
        schema: {
          tags: ['contracts'],
          summary: 'Replace the definition of a contract (provider key); its type stays',
          params: IdParams,
          body: ContractDefinitionSchema,
          response: { 200: ContractSchema },
        },
      },
      async (req) => {
        const scope = scopeOf(req);
        requireProvider(scope, 'changes contracts');
        const c = await visibleContract(req.params.id, scope);
        const definition = checkDefinition(req.body);
        if (definition.type !== c.definition.type)
          throw new FieldError(
            409,
            'contract_type_fixed',
            `a ${c.definition.type} contract stays one: make a new contract`,
            '/type',
          );
        await replaceDefinition(db, c.row.id, definition, deps.now());
        await deps.account();
        return contractView(db, (await getContract(db, c.row.id)) as Contract);
      },
    );

    api.get<{ Params: Static<typeof IdParams> }>(
      '/api/contracts/:id/ledger',
      {
        schema: {
          tags: ['contracts'],
          summary: 'The ledger of a ticket book: every movement of units, oldest first, and the balance',
          params: IdParams,
          response: {
            200: Type.Object({
              contract: Type.String(),
              balance: Type.Integer(),
              entries: Type.Array(EntrySchema),
            }),
          },
        },
      },
      async (req) => {
        const c = await visibleContract(req.params.id, scopeOf(req));
        const entries = await listEntries(db, c.row.id);
        return {
          contract: c.row.id,
          balance: entries.reduce((s, e) => s + Number(e.units), 0),
          entries: entries.map(entryView),
        };
      },
    );

    const TopUp = Type.Object(
      {
        units: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        reference: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 200,
            description: 'e.g. the purchase order: the same reference twice is one top-up',
          }),
        ),
        note: Type.Optional(Type.String({ maxLength: 2000 })),
      },
      strict,
    );
    api.post<{ Params: Static<typeof IdParams>; Body: Static<typeof TopUp> }>(
      '/api/contracts/:id/top-ups',
      {
        schema: {
          tags: ['contracts'],
          summary: 'Add units to a ticket book (provider key)',
          params: IdParams,
          body: TopUp,
          response: { 201: EntrySchema, 200: EntrySchema },
        },
      },
      async (req, reply) => {
        const scope = scopeOf(req);
        requireProvider(scope, 'tops up ticket books');
        const c = await visibleContract(req.params.id, scope);
        if (!c.definition.ticketBook)
          throw new ApiError(
            409,
            'not_a_ticket_book',
            `contract ${c.row.id} is a ${c.definition.type} contract`,
          );
        const id = deps.newId();
        const at = deps.now().toISOString();
        const key = req.body.reference ? `top_up:${c.row.id}:${req.body.reference}` : `top_up:${id}`;
        const added = await appendEntry(db, {
          id,
          contract_id: c.row.id,
          tenant_id: c.row.tenant_id,
          kind: 'top_up',
          units: req.body.units,
          ticket_id: null,
          priority: null,
          support_level: null,
          reason: [req.body.reference, req.body.note].filter(Boolean).join(': ') || 'top-up',
          actor: scope.actor,
          effective_at: at,
          recorded_at: at,
          corrects: null,
          entry_key: key,
        });
        await deps.account();
        const entry = await contractDb(db)
          .selectFrom('contract_ledger')
          .selectAll()
          .where('entry_key', '=', key)
          .executeTakeFirstOrThrow();
        return reply.code(added ? 201 : 200).send(entryView(entry));
      },
    );

    const Correction = Type.Object(
      {
        entry: Id,
        units: Type.Integer({
          minimum: -1_000_000,
          maximum: 1_000_000,
          description: 'what the entry should have been',
        }),
        reason: Type.String({ minLength: 1, maxLength: 2000 }),
      },
      strict,
    );
    api.post<{ Params: Static<typeof IdParams>; Body: Static<typeof Correction> }>(
      '/api/contracts/:id/corrections',
      {
        schema: {
          tags: ['contracts'],
          summary: 'Correct a ledger entry by a compensating entry (provider key)',
          params: IdParams,
          body: Correction,
          response: { 201: EntrySchema },
        },
      },
      async (req, reply) => {
        const scope = scopeOf(req);
        requireProvider(scope, 'corrects ledgers');
        const c = await visibleContract(req.params.id, scope);
        try {
          const entry = await correctEntry(db, {
            id: deps.newId(),
            contractId: c.row.id,
            entryId: req.body.entry,
            units: req.body.units,
            reason: req.body.reason,
            actor: scope.actor,
            now: deps.now(),
          });
          await deps.account();
          return reply.code(201).send(entryView(entry));
        } catch (err) {
          if (err instanceof LedgerError)
            throw new FieldError(
              err.code === 'entry_not_found' ? 404 : 409,
              err.code,
              err.message,
              err.code === 'entry_not_found' ? '/entry' : '/units',
            );
          throw err;
        }
      },
    );

    const MarksQuery = Type.Object(
      {
        tenant: Type.Optional(Id),
        contract: Type.Optional(Id),
        scope: Type.Optional(
          Type.Union(
            ['counted', 'not_counted', 'out_of_scope', 'beyond_contract'].map((s) => Type.Literal(s)),
          ),
        ),
      },
      strict,
    );
    api.get<{ Querystring: Static<typeof MarksQuery> }>(
      '/api/contract-tickets',
      {
        schema: {
          tags: ['contracts'],
          summary:
            'What the accounting decided about each ticket: out of scope and beyond contract listed apart',
          querystring: MarksQuery,
          response: { 200: Type.Array(MarkSchema) },
        },
      },
      async (req) => {
        const tenant = tenantFilter(scopeOf(req), req.query.tenant);
        let q = contractDb(db)
          .selectFrom('contract_tickets as ct')
          .innerJoin('tickets as t', 't.id', 'ct.ticket_id')
          .selectAll('ct')
          .select(['t.title', 't.host', 't.application', 't.kind', 't.priority', 't.status', 't.opened_at'])
          .orderBy('t.opened_at')
          .orderBy('ct.ticket_id')
          .limit(5000);
        if (tenant !== null) q = q.where('ct.tenant_id', '=', tenant);
        if (req.query.contract) q = q.where('ct.contract_id', '=', req.query.contract);
        if (req.query.scope) q = q.where('ct.scope', '=', req.query.scope);
        return (await q.execute()).map((r) => ({
          ...markView(r),
          ticket: {
            title: r.title,
            host: r.host,
            application: r.application ?? '',
            kind: r.kind ?? 'check',
            priority: r.priority ?? 'P4',
            status: r.status,
            openedAt: r.opened_at,
          },
        }));
      },
    );

    const Decision = Type.Object(
      {
        decision: Type.Union(
          [Type.Literal('charge'), Type.Literal('waive'), Type.Literal('bill_separately')],
          {
            description:
              'charge: deduct it from the book; waive: free of charge; bill_separately: outside the book',
          },
        ),
        note: Type.Optional(Type.String({ maxLength: 2000 })),
      },
      strict,
    );
    const TicketParams = Type.Object({ ticketId: Id }, strict);
    api.post<{ Params: Static<typeof TicketParams>; Body: Static<typeof Decision> }>(
      '/api/contract-tickets/:ticketId/decision',
      {
        schema: {
          tags: ['contracts'],
          summary: 'Decide about a ticket beyond contract (provider key)',
          params: TicketParams,
          body: Decision,
          response: { 200: Type.Omit(MarkSchema, ['ticket']) },
        },
      },
      async (req) => {
        const scope = scopeOf(req);
        requireProvider(scope, 'decides about tickets beyond contract');
        const cdb = contractDb(db);
        const mark = await cdb
          .selectFrom('contract_tickets')
          .selectAll()
          .where('ticket_id', '=', req.params.ticketId)
          .executeTakeFirst();
        if (!mark)
          throw new ApiError(
            404,
            'ticket_not_marked',
            `ticket ${req.params.ticketId} is not (yet) accounted`,
          );
        if (mark.scope !== 'beyond_contract')
          throw new ApiError(
            409,
            'not_beyond_contract',
            `ticket ${mark.ticket_id} is ${mark.scope}, not beyond contract`,
          );
        if (mark.decision !== null)
          throw new ApiError(
            409,
            'already_decided',
            `ticket ${mark.ticket_id} was decided already: ${mark.decision}`,
          );
        const at = deps.now().toISOString();
        await db.transaction().execute(async (trx) => {
          await contractDb(trx)
            .updateTable('contract_tickets')
            .set({
              decision: req.body.decision,
              decision_note: req.body.note ?? null,
              decided_by: scope.actor,
              decided_at: at,
            })
            .where('ticket_id', '=', mark.ticket_id)
            .where('decision', 'is', null)
            .execute();
          await timelineEvent(trx, deps, mark.ticket_id, 'contract_decision', scope.actor, {
            decision: req.body.decision,
            note: req.body.note ?? null,
          });
        });
        await deps.account();
        const updated = await cdb
          .selectFrom('contract_tickets')
          .selectAll()
          .where('ticket_id', '=', mark.ticket_id)
          .executeTakeFirstOrThrow();
        return markView(updated);
      },
    );

    const RequestBody = Type.Object(
      {
        tenant: Type.Optional(Id),
        title: Type.String({ minLength: 1, maxLength: 300 }),
        description: Type.String({ minLength: 1, maxLength: 20_000 }),
        priority: Type.Optional(
          Type.Union(
            PRIORITIES.map((p) => Type.Literal(p)),
            { description: 'default P3' },
          ),
        ),
        application: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        host: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        environment: Type.Optional(
          Type.Union(
            ['production', 'iso-production', 'staging'].map((e) => Type.Literal(e)),
            { description: 'default production' },
          ),
        ),
      },
      strict,
    );
    api.post<{ Body: Static<typeof RequestBody> }>(
      '/api/requests',
      {
        schema: {
          tags: ['contracts'],
          summary: 'Open a manual ticket (a request, not from a check): same SLA and contract accounting',
          body: RequestBody,
        },
      },
      async (req, reply) => {
        const scope = scopeOf(req);
        const tenant = tenantFilter(scope, req.body.tenant);
        if (tenant === null)
          throw new FieldError(400, 'tenant_required', 'a provider key names the tenant', '/tenant');
        if (!(await getTenant(db, tenant)))
          throw new FieldError(404, 'tenant_not_found', `no tenant ${tenant}`, '/tenant');
        const ticket = await db.transaction().execute((trx) =>
          openRequest(
            trx,
            {
              tenantId: tenant,
              title: req.body.title,
              description: req.body.description,
              priority: req.body.priority ?? 'P3',
              host: req.body.host,
              application: req.body.application,
              environment: req.body.environment ?? 'production',
              actor: scope.actor,
            },
            deps,
          ),
        );
        deps.onOpened?.(ticket);
        await deps.account();
        return reply.code(201).send(ticketView(ticket));
      },
    );

    const WorkLogBody = Type.Object(
      {
        person: Type.Optional(
          Type.String({ minLength: 1, maxLength: 200, description: "default: the API key's name" }),
        ),
        minutes: Type.Integer({ minimum: 1, maximum: 24 * 60 }),
        description: Type.String({ minLength: 1, maxLength: 5000 }),
        workedAt: Type.Optional(Instant),
      },
      strict,
    );
    api.post<{ Params: Static<typeof IdParams>; Body: Static<typeof WorkLogBody> }>(
      '/api/tickets/:id/worklogs',
      {
        schema: {
          tags: ['contracts'],
          summary: 'Log time spent on a ticket (régie; provider key)',
          params: IdParams,
          body: WorkLogBody,
          response: { 201: WorkLogSchema },
        },
      },
      async (req, reply) => {
        const scope = scopeOf(req);
        requireProvider(scope, 'logs work');
        const t = await visibleTicket(req.params.id, scope);
        const now = deps.now();
        const workedAt = req.body.workedAt ? new Date(req.body.workedAt) : now;
        if (Number.isNaN(workedAt.getTime()) || workedAt.getTime() > now.getTime() + 60_000)
          throw new FieldError(400, 'invalid_body', 'workedAt is not a past instant', '/workedAt');
        const row: WorkLogTable = {
          id: deps.newId(),
          tenant_id: t.tenant_id,
          ticket_id: t.id,
          application: t.application ?? '',
          person: req.body.person ?? scope.actor.replace(/^key:/, ''),
          minutes: req.body.minutes,
          description: req.body.description,
          worked_at: workedAt.toISOString(),
          created_at: now.toISOString(),
          created_by: scope.actor,
          cancelled_at: null,
          cancelled_by: null,
        };
        await db.transaction().execute(async (trx) => {
          await addWorkLog(trx, row);
          await timelineEvent(trx, deps, t.id, 'work_logged', scope.actor, {
            workLog: row.id,
            person: row.person,
            minutes: row.minutes,
          });
        });
        return reply.code(201).send(workLogView(row));
      },
    );

    api.get<{ Params: Static<typeof IdParams> }>(
      '/api/tickets/:id/worklogs',
      { schema: { tags: ['contracts'], params: IdParams, response: { 200: Type.Array(WorkLogSchema) } } },
      async (req) => {
        const t = await visibleTicket(req.params.id, scopeOf(req));
        return (
          await listWorkLogs(db, { tenantId: t.tenant_id, ticketId: t.id, includeCancelled: true })
        ).map(workLogView);
      },
    );

    const WorkLogQuery = Type.Object(
      {
        tenant: Type.Optional(Id),
        person: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        from: Type.Optional(Instant),
        to: Type.Optional(Instant),
      },
      strict,
    );
    api.get<{ Querystring: Static<typeof WorkLogQuery> }>(
      '/api/worklogs',
      {
        schema: {
          tags: ['contracts'],
          summary: 'Work logs (cancelled ones included), by tenant, person, period',
          querystring: WorkLogQuery,
          response: { 200: Type.Array(WorkLogSchema) },
        },
      },
      async (req) => {
        const rows = await listWorkLogs(db, {
          tenantId: tenantFilter(scopeOf(req), req.query.tenant),
          person: req.query.person,
          from: req.query.from ? new Date(req.query.from).toISOString() : undefined,
          to: req.query.to ? new Date(req.query.to).toISOString() : undefined,
          includeCancelled: true,
        });
        return rows.map(workLogView);
      },
    );

    api.post<{ Params: Static<typeof IdParams> }>(
      '/api/worklogs/:id/cancel',
      {
        schema: {
          tags: ['contracts'],
          summary: 'Cancel a work log entered by mistake (provider key); it stays in the history',
          params: IdParams,
          response: { 200: WorkLogSchema },
        },
      },
      async (req) => {
        const scope = scopeOf(req);
        requireProvider(scope, 'cancels work logs');
        const log = await getWorkLog(db, req.params.id);
        if (!log) throw new ApiError(404, 'worklog_not_found', `no work log ${req.params.id}`);
        if (!(await cancelWorkLog(db, log.id, scope.actor, deps.now())))
          throw new ApiError(409, 'already_cancelled', `work log ${log.id} was cancelled already`);
        return workLogView((await getWorkLog(db, log.id)) as WorkLogTable);
      },
    );

    const MonthQuery = Type.Object(
      {
        month: Type.String({
          pattern: '^\\d{4}-(0[1-9]|1[0-2])$',
          description: 'YYYY-MM, in the contract time zone',
        }),
      },
      strict,
    );
    api.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof MonthQuery> }>(
      '/api/contracts/:id/timesheet',
      {
        schema: {
          tags: ['contracts'],
          summary:
            'Régie: time logged in a month per person and per application, against the contracted days',
          params: IdParams,
          querystring: MonthQuery,
          response: {
            200: Type.Composite([
              Type.Object({
                contract: Type.String(),
                tenant: Type.String(),
                month: Type.String(),
                from: Type.String(),
                to: Type.String(),
              }),
              TimeTotalsSchema,
            ]),
          },
        },
      },
      async (req) => {
        const c = await visibleContract(req.params.id, scopeOf(req));
        const regie = c.definition.regie;
        if (!regie)
          throw new ApiError(409, 'not_regie', `contract ${c.row.id} is a ${c.definition.type} contract`);
        const period = monthPeriod(req.query.month, c.definition.timeZone);
        const logs = await listWorkLogs(db, {
          tenantId: c.row.tenant_id,
          from: period.from.toISOString(),
          to: period.to.toISOString(),
        });
        const inScope = logs.filter((l) => scopeAllows(c.definition, l.application));
        return {
          contract: c.row.id,
          tenant: c.row.tenant_id,
          month: req.query.month,
          from: period.from.toISOString(),
          to: period.to.toISOString(),
          ...timeTotals(inScope, regie.hoursPerDay, regie.daysPerMonth),
        };
      },
    );
  });
}

/** Work on an application counts against a contract that lists it, or lists no application at all. */
export function scopeAllows(d: ContractDefinition, application: string): boolean {
  return d.scope.applications.length === 0 || d.scope.applications.includes(application);
}

function markView(m: ContractTicketTable) {
  return {
    ticketId: m.ticket_id,
    tenant: m.tenant_id,
    contract: m.contract_id,
    scope: m.scope,
    reason: m.reason,
    markedAt: m.marked_at,
    decision: m.decision,
    decisionNote: m.decision_note,
    decidedBy: m.decided_by,
    decidedAt: m.decided_at,
  };
}
