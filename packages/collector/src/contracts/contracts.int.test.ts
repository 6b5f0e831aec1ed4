// Ticket books, scope, beyond contract, top-ups and corrections, requests, régie time sheets and the strict
// API, through a whole collector on SQLite and on PostgreSQL, with an injected clock and a real webhook receiver.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../../../../test/support/collector.js';
import { DIALECTS } from '../../../../test/support/stores.js';
import { waitFor } from '../../../../test/support/wait.js';
import { Receiver } from '../connectors/testing/receiver.js';
import { verifySignature } from '../connectors/webhook/signature.js';
import type { TicketTable } from '../store/schema.js';
import { applyStatus } from '../tickets/apply.js';
import { ContractBook } from '../tickets/contracts.js';

const SECRET = 'a-long-shared-secret-for-tests';
const MIN = 60_000;
export const PRICES = {
  P1: { N1: 3, N2: 5, N3: 8 },
  P2: { N1: 2, N2: 3, N3: 5 },
  P3: { N1: 1, N2: 2, N3: 3 },
  P4: { N1: 1, N2: 1, N3: 2 },
};

interface Ledger {
  balance: number;
  entries: Array<{
    id: string;
    kind: string;
    units: number;
    ticketId: string | null;
    corrects: string | null;
  }>;
}

describe.each(DIALECTS)('TMA contracts on %s', (dialect) => {
  let cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });

  async function setup(connectors: unknown[] = []): Promise<TestCollector> {
    const t = await startTestCollector({ dialect, config: { connectors } });
    cleanups.push(() => t.dispose());
    await t.addTenant('acme', 'ACME');
    await t.addTenant('globex', 'Globex');
    return t;
  }

  /** A check-born ticket, as the ingest opens it. */
  async function checkTicket(
    t: TestCollector,
    o: {
      tenant?: string;
      host: string;
      app?: string;
      env?: string;
      check?: string;
      status?: 'critical' | 'warning';
    },
  ): Promise<TicketTable> {
    const contracts = new ContractBook();
    const e = await applyStatus(
      t.collector.store.db,
      {
        tenantId: o.tenant ?? 'acme',
        host: o.host,
        environment: o.env ?? 'production',
        application: o.app ?? 'shop',
        checkId: o.check ?? 'disk',
        checkType: 'filesystem',
        status: o.status ?? 'critical',
        message: 'full',
        observedAt: t.now().toISOString(),
        resultId: t.newId(),
        findings: [],
      },
      { newId: t.newId, now: t.now, reopenWindowMs: 0, dueTimes: contracts.dueTimes() },
    );
    if (!e || !('ticket' in e)) throw new Error('no ticket opened');
    return e.ticket;
  }

  const book = (deductAt: 'resolved' | 'opened', extra: Record<string, unknown> = {}) => ({
    tenant: 'acme',
    type: 'ticket-book',
    name: 'Carnet 2026',
    startsOn: '2026-01-01',
    endsOn: '2026-12-31',
    timeZone: 'Europe/Paris',
    language: 'fr',
    scope: { applications: ['shop'], hosts: [] },
    counts: ['corrective', 'request'],
    ticketBook: { initialUnits: 10, deductAt, prices: PRICES, lowBalance: 4 },
    ...extra,
  });

  it('deducts resolved tickets once by price, lists out-of-scope and uncounted ones, marks beyond contract, notifies low and exhausted', async () => {
    const receiver = await Receiver.start(() => ({ status: 200 }));
    cleanups.push(() => receiver.close());
    const t = await setup([
      { kind: 'webhook', name: 'noc', url: receiver.url('/noc'), secret: SECRET },
      { kind: 'webhook', name: 'acme-itsm', url: receiver.url('/acme'), secret: SECRET, tenant: 'acme' },
      {
        kind: 'webhook',
        name: 'globex-itsm',
        url: receiver.url('/globex'),
        secret: SECRET,
        tenant: 'globex',
      },
    ]);
    const pk = t.providerKey;
    const created = await t.api<{ id: string; balance: number }>(
      'POST',
      '/api/contracts',
      pk,
      book('resolved'),
    );
    expect(created.status).toBe(201);
    expect(created.body.balance).toBe(10);
    const id = created.body.id;

    // A P1 escalated to N3, then resolved: 8 units.
    const a = await checkTicket(t, { host: 'web-01' });
    expect(a.priority).toBe('P1');
    for (const level of ['N2', 'N3'])
      expect(
        (await t.api('POST', `/api/tickets/${a.id}/escalate`, pk, { level, reason: 'hard one' })).status,
      ).toBe(200);
    t.advance(30 * MIN);
    expect((await t.api('POST', `/api/tickets/${a.id}/resolve`, pk, {})).status).toBe(200);
    // A drift ticket (not counted) and a ticket of an application outside the scope.
    const drift = await checkTicket(t, {
      host: 'shop',
      check: 'parity:iso-production',
      env: 'iso-production',
      status: 'warning',
    });
    const blog = await checkTicket(t, { host: 'blog-01', app: 'blog' });
    await t.collector.account();
    await t.collector.account();
    let ledger = (await t.api<Ledger>('GET', `/api/contracts/${id}/ledger`, pk)).body;
    expect(ledger.entries.map((e) => [e.kind, e.units, e.ticketId])).toEqual([
      ['initial', 10, null],
      ['deduction', -8, a.id],
    ]);
    expect(ledger.balance).toBe(2);
    const marks = async (scope: string) =>
      (
        await t.api<Array<{ ticketId: string; reason: string }>>(
          'GET',
          `/api/contract-tickets?tenant=acme&scope=${scope}`,
          pk,
        )
      ).body;
    expect((await marks('out_of_scope')).map((m) => m.ticketId)).toEqual([blog.id]);
    expect((await marks('out_of_scope'))[0]?.reason).toMatch(
      /blog-01 \(application blog\) is not in the scope of Carnet 2026/,
    );
    expect((await marks('not_counted')).map((m) => m.ticketId)).toEqual([drift.id]);

    // The client opens a request (P3): counted, 1 unit once resolved.
    const ck = await t.clientKey('acme');
    const req = await t.api<{ id: string; kind: string; priority: string; responseDueAt: string }>(
      'POST',
      '/api/requests',
      ck,
      {
        title: 'Add a user to the back office',
        description: 'Please add jane@acme.example with the editor role.',
        application: 'shop',
      },
    );
    expect(req.status).toBe(201);
    expect(req.body).toMatchObject({ kind: 'request', priority: 'P3' });
    expect(req.body.responseDueAt).toBe(new Date(t.now().getTime() + 24 * 60 * MIN).toISOString());
    t.advance(10 * MIN);
    await t.api('POST', `/api/tickets/${req.body.id}/resolve`, pk, { comment: 'done' });
    // A P2 resolved at N1: 2 units, the book goes to -1.
    const b = await checkTicket(t, { host: 'web-02', status: 'warning' });
    t.advance(MIN);
    await t.api('POST', `/api/tickets/${b.id}/resolve`, pk, {});
    await t.collector.account();
    ledger = (await t.api<Ledger>('GET', `/api/contracts/${id}/ledger`, pk)).body;
    expect(ledger.balance).toBe(-1);

    // Opened while exhausted: beyond contract, in its timeline, not deducted until the provider decides.
    t.advance(MIN);
    const c = await checkTicket(t, { host: 'web-03' });
    t.advance(MIN);
    await t.api('POST', `/api/tickets/${c.id}/resolve`, pk, {});
    await t.collector.account();
    expect((await marks('beyond_contract')).map((m) => m.ticketId)).toEqual([c.id]);
    const timeline = (await t.api<{ timeline: Array<{ kind: string }> }>('GET', `/api/tickets/${c.id}`, pk))
      .body.timeline;
    expect(timeline.map((e) => e.kind)).toContain('beyond_contract');
    expect((await t.api<Ledger>('GET', `/api/contracts/${id}/ledger`, pk)).body.balance).toBe(-1);

    // Both alerts went to the provider's and acme's receivers, signed, and none to globex's.
    await waitFor('two alerts at each receiver', () => {
      const kinds = (path: string) =>
        receiver.requests
          .filter((r) => r.path === path)
          .map((r) => (JSON.parse(r.body) as { kind: string }).kind)
          .filter((k) => k.startsWith('contract.'));
      return kinds('/noc').length === 2 && kinds('/acme').length === 2 ? kinds('/acme') : undefined;
    }).then((kinds) => expect(kinds).toEqual(['contract.low_balance', 'contract.exhausted']));
    expect(receiver.requests.filter((r) => r.path === '/globex')).toEqual([]);
    const low = receiver.requests.find(
      (r) => r.path === '/acme' && r.body.includes('contract.low_balance'),
    ) as { body: string; headers: Record<string, unknown> };
    expect(verifySignature(low.body, low.headers['x-vigie-signature'] as string, SECRET)).toBe(true);
    expect(JSON.parse(low.body)).toMatchObject({
      tenant: 'acme',
      subject: 'Solde bas du carnet de tickets : Carnet 2026',
      details: { balance: 2, lowBalance: 4 },
    });

    // A top-up (twice with the same reference: once), then the decision to charge the ticket beyond contract.
    for (let i = 0; i < 2; i++) {
      const r = await t.api('POST', `/api/contracts/${id}/top-ups`, pk, {
        units: 20,
        reference: 'PO-2026-114',
      });
      expect(r.status).toBe(i === 0 ? 201 : 200);
    }
    const decided = await t.api<{ decision: string }>('POST', `/api/contract-tickets/${c.id}/decision`, pk, {
      decision: 'charge',
      note: 'agreed with the client on the phone',
    });
    expect(decided.body.decision).toBe('charge');
    expect(
      (await t.api('POST', `/api/contract-tickets/${c.id}/decision`, pk, { decision: 'waive' })).status,
    ).toBe(409);
    ledger = (await t.api<Ledger>('GET', `/api/contracts/${id}/ledger`, pk)).body;
    expect(ledger.balance).toBe(-1 + 20 - 3);

    // A correction compensates; the original entry stays as it was.
    const deductionA = ledger.entries.find((e) => e.ticketId === a.id) as { id: string };
    const fix = await t.api<{ units: number; corrects: string }>(
      'POST',
      `/api/contracts/${id}/corrections`,
      pk,
      {
        entry: deductionA.id,
        units: -5,
        reason: 'escalated to N3 by mistake',
      },
    );
    expect(fix.body).toMatchObject({ units: 3, corrects: deductionA.id });
    ledger = (await t.api<Ledger>('GET', `/api/contracts/${id}/ledger`, pk)).body;
    expect(ledger.entries.find((e) => e.id === deductionA.id)?.units).toBe(-8);
    expect(ledger.balance).toBe(19);
    expect(ledger.entries.map((e) => e.kind)).toEqual([
      'initial',
      'deduction',
      'deduction',
      'deduction',
      'top_up',
      'deduction',
      'correction',
    ]);

    // The client reads its own contract, not another tenant's, and changes nothing.
    expect((await t.api('GET', `/api/contracts/${id}/ledger`, ck)).status).toBe(200);
    expect((await t.api('POST', `/api/contracts/${id}/top-ups`, ck, { units: 1 })).status).toBe(403);
    const gk = await t.clientKey('globex');
    expect((await t.api('GET', `/api/contracts/${id}`, gk)).status).toBe(404);
    expect((await t.api<unknown[]>('GET', '/api/contracts', gk)).body).toEqual([]);
  });

  it('deducts at opening when the contract says so, once however many passes run', async () => {
    const t = await setup();
    const pk = t.providerKey;
    const id = (await t.api<{ id: string }>('POST', '/api/contracts', pk, book('opened'))).body.id;
    const a = await checkTicket(t, { host: 'web-01', status: 'warning' });
    for (let i = 0; i < 3; i++) await t.collector.account();
    const ledger = (await t.api<Ledger>('GET', `/api/contracts/${id}/ledger`, pk)).body;
    expect(ledger.entries.filter((e) => e.kind === 'deduction').map((e) => [e.ticketId, e.units])).toEqual([
      [a.id, -2],
    ]);
    expect(ledger.balance).toBe(8);
  });

  it('refuses bad input by field, without coercion or dropped properties', async () => {
    const t = await setup();
    const pk = t.providerKey;
    const id = (await t.api<{ id: string }>('POST', '/api/contracts', pk, book('resolved'))).body.id;
    const r1 = await t.api('POST', `/api/contracts/${id}/top-ups`, pk, { units: '5' });
    expect(r1).toEqual({
      status: 400,
      body: { error: 'invalid_body', message: 'body /units: must be integer', field: '/units' },
    });
    const r2 = await t.api('POST', `/api/contracts/${id}/top-ups`, pk, { units: 5, extra: true });
    expect(r2.body).toEqual({
      error: 'invalid_body',
      message: 'body /extra: unknown property "extra"',
      field: '/extra',
    });
    const r3 = await t.api('POST', '/api/contracts', pk, { ...book('resolved'), type: 'regie' });
    expect(r3.status).toBe(400);
    expect(r3.body).toMatchObject({ error: 'invalid_contract', field: '/ticketBook' });
    const r4 = await t.api('POST', '/api/contracts', pk, { ...book('resolved'), timeZone: 'Mars/Olympus' });
    expect(r4.body).toMatchObject({ error: 'invalid_contract', field: '/timeZone' });
    const r5 = await t.api('GET', '/api/worklogs?limit=5', pk);
    expect(r5.body).toMatchObject({ error: 'invalid_query', field: '/limit' });
    // The OpenAPI document has the routes, from the same schemas.
    const doc = (await t.collector.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    for (const path of [
      '/api/contracts',
      '/api/contracts/{id}/ledger',
      '/api/requests',
      '/api/reports/{id}/pdf',
      '/api/audit',
    ])
      expect(Object.keys(doc.paths)).toContain(path);
  });

  it('totals régie work logs per person and application for a month of the contract time zone', async () => {
    const t = await setup();
    t.setNow('2026-04-02T08:00:00.000Z');
    const pk = t.providerKey;
    const id = (
      await t.api<{ id: string }>('POST', '/api/contracts', pk, {
        tenant: 'globex',
        type: 'regie',
        name: 'Régie 2026',
        startsOn: '2026-01-01',
        endsOn: null,
        timeZone: 'Europe/Paris',
        language: 'en',
        scope: { applications: [], hosts: [] },
        counts: ['corrective', 'drift', 'request'],
        regie: { daysPerMonth: 2, hoursPerDay: 8 },
      })
    ).body.id;
    const ticket = await checkTicket(t, { tenant: 'globex', host: 'erp-01', app: 'erp' });
    const log = (person: string, minutes: number, workedAt: string) =>
      t.api<{ id: string }>('POST', `/api/tickets/${ticket.id}/worklogs`, pk, {
        person,
        minutes,
        description: 'analysed and fixed',
        workedAt,
      });
    // 23:30 UTC on 31 March is 1 April in Paris: April's.
    expect((await log('alice', 240, '2026-03-02T09:00:00Z')).status).toBe(201);
    await log('bob', 120, '2026-03-03T14:00:00+01:00');
    const wrong = await log('bob', 600, '2026-03-04T10:00:00Z');
    await log('alice', 60, '2026-03-31T23:30:00Z');
    expect((await t.api('POST', `/api/worklogs/${wrong.body.id}/cancel`, pk)).status).toBe(200);
    expect((await t.api('POST', `/api/worklogs/${wrong.body.id}/cancel`, pk)).status).toBe(409);
    const sheet = await t.api('GET', `/api/contracts/${id}/timesheet?month=2026-03`, pk);
    expect(sheet.body).toEqual({
      contract: id,
      tenant: 'globex',
      month: '2026-03',
      from: '2026-02-28T23:00:00.000Z',
      to: '2026-03-31T22:00:00.000Z',
      minutes: 360,
      hours: 6,
      days: 0.75,
      byPerson: [
        { person: 'alice', minutes: 240, hours: 4, days: 0.5 },
        { person: 'bob', minutes: 120, hours: 2, days: 0.25 },
      ],
      byApplication: [{ application: 'erp', minutes: 360, hours: 6, days: 0.75 }],
      contractedDays: 2,
      usedPercent: 37.5,
    });
    const logs = (
      await t.api<Array<{ cancelledAt: string | null }>>('GET', `/api/tickets/${ticket.id}/worklogs`, pk)
    ).body;
    expect(logs.length).toBe(4);
    expect(logs.filter((l) => l.cancelledAt !== null).length).toBe(1);
    // A client key reads its time sheet, logs nothing.
    const gk = await t.clientKey('globex');
    expect((await t.api('GET', `/api/contracts/${id}/timesheet?month=2026-03`, gk)).status).toBe(200);
    expect(
      (await t.api('POST', `/api/tickets/${ticket.id}/worklogs`, gk, { minutes: 5, description: 'x' }))
        .status,
    ).toBe(403);
  });
});
