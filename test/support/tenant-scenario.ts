// A month in the life of a client (March 2026, Europe/Paris), made through the collector's own code paths: agents
// and their check states, results written to the metrics store, check-born tickets with people acting on them
// through the API, an agent that goes silent and comes back, a request from the client, a ticket book and its
// accounting, drift snapshots of production and iso-production. Figures the tests expect are worked out below.
import type { Result, Status } from '@vigie/shared';
import { refreshItemsSeen } from '../../packages/collector/src/drift/service.js';
import { resultToPoints } from '../../packages/collector/src/sinks/types.js';
import { touchAgent, upsertAgent } from '../../packages/collector/src/store/agents.js';
import { insertSnapshot } from '../../packages/collector/src/store/drift.js';
import { applyStatus } from '../../packages/collector/src/tickets/apply.js';
import { ContractBook } from '../../packages/collector/src/tickets/contracts.js';
import type { TestCollector } from './collector.js';

export const PRICES = {
  P1: { N1: 3, N2: 5, N3: 8 },
  P2: { N1: 2, N2: 3, N3: 5 },
  P3: { N1: 1, N2: 2, N3: 3 },
  P4: { N1: 1, N2: 1, N3: 2 },
};

interface Check {
  host: string;
  id: string;
  type: string;
  category: 'security' | 'backup' | 'performance' | 'drift';
}

const CHECKS: Check[] = [
  { host: 'web-01', id: 'shop-http', type: 'http', category: 'performance' },
  { host: 'web-01', id: 'updates', type: 'package-updates', category: 'security' },
  { host: 'web-01', id: 'cert', type: 'tls-certificate-file', category: 'security' },
  { host: 'db-01', id: 'db-backup', type: 'backup-freshness', category: 'backup' },
  { host: 'db-01', id: 'restore', type: 'restore-test', category: 'backup' },
];

export interface Scenario {
  tenant: string;
  contractId: string;
  ticketIds: string[];
}

/**
 * Fills `tenant` with March 2026 and leaves the clock at 2026-04-01T06:00Z (08:00 in Paris). Hand-worked
 * figures for March (743 hours: daylight saving starts on the 29th):
 * - SLA: P1 2 tickets (response 2 met, resolution 2 met), P2 1 (response breached, resolution met),
 *   P3 1 request (response and resolution breached) -> 5 met, 3 breached, 62.5 %.
 * - Tickets opened: performance 1, backup 1, availability 1, request 1; resolved 3.
 * - MTTA (1800 s, 28800 s) 15300 s; MTTR (10800, 79200, 7200 s) 32400 s.
 * - Availability: web-01 down 3 h (740/743 = 99.6 %), db-01 unreachable 2 h (741/743 = 99.73 %).
 * - Backups: db-backup 31 results, 30 ok, 1 failed; restore tests 3 passed of 4.
 * - Security: security updates max 5, last 0; certificate days left min 20 (expiring).
 * - Ticket book: opening 10, consumed 8 (P1 N1 3 twice: the outage and the silent agent; P2 N1 2), closing 2.
 */
export async function fillMarch(t: TestCollector, tenant = 'acme'): Promise<Scenario> {
  const db = t.collector.store.db;
  const pk = t.providerKey;
  const at = (iso: string) => t.setNow(iso);
  at('2026-02-15T09:00:00.000Z');
  await t.addTenant(tenant, `${tenant.toUpperCase()} SA`);
  await t.api('PUT', `/api/tenants/${tenant}/contract`, pk, {
    calendar: { kind: '24x7' },
    response: { P1: '2h', P2: '6h', P3: '24h', P4: '72h' },
    resolution: { P1: '8h', P2: '24h', P3: '72h', P4: '240h' },
  });
  at('2026-02-20T09:00:00.000Z');
  const contract = await t.api<{ id: string }>('POST', '/api/contracts', pk, {
    tenant,
    type: 'ticket-book',
    name: 'Carnet 2026',
    startsOn: '2026-03-01',
    endsOn: '2026-12-31',
    timeZone: 'Europe/Paris',
    language: 'fr',
    scope: { applications: ['shop'], hosts: [] },
    counts: ['corrective', 'request'],
    ticketBook: { initialUnits: 10, deductAt: 'resolved', prices: PRICES, lowBalance: 2 },
  });
  if (contract.status !== 201) throw new Error(`contract not created: ${JSON.stringify(contract.body)}`);
  // A maintenance window on the iso-production host, scheduled ahead: 2 h 30 min in the report.
  const window = await t.api('POST', '/api/maintenance', pk, {
    tenant,
    host: 'web-iso-01',
    reason: 'Mise à jour PostgreSQL',
    startsAt: '2026-03-18T22:00:00.000Z',
    endsAt: '2026-03-19T00:30:00.000Z',
  });
  if (window.status !== 201) throw new Error(`window not created: ${JSON.stringify(window.body)}`);
  const agents = new Map<string, string>();
  for (const [host, environment] of [
    ['web-01', 'production'],
    ['db-01', 'production'],
    ['web-iso-01', 'iso-production'],
  ] as const) {
    const a = await upsertAgent(db, {
      id: t.newId(),
      tenantId: tenant,
      tokenId: `tok-${tenant}-${host}`,
      agent: { host, environment, application: 'shop', version: '0.1.0' },
      now: t.now(),
    });
    agents.set(host, a.id);
  }
  const result = async (c: Check, status: Status, metrics: Record<string, number>, iso: string) => {
    const r: Result = {
      id: t.newId(),
      checkId: c.id,
      type: c.type,
      category: c.category,
      status,
      metrics,
      message: `${c.id} ${status}`,
      observedAt: iso,
      durationMs: 12,
    };
    await t.collector.sink.write(
      resultToPoints(r, { tenant, application: 'shop', environment: 'production', host: c.host }, status),
    );
    await db
      .insertInto('check_states')
      .values({
        tenant_id: tenant,
        host: c.host,
        check_id: c.id,
        type: c.type,
        category: c.category,
        status,
        agent_status: status,
        message: r.message,
        metrics: JSON.stringify(metrics),
        observed_at: iso,
        result_id: r.id,
      })
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'host', 'check_id'])
          .doUpdateSet({ status, metrics: JSON.stringify(metrics), observed_at: iso, result_id: r.id }),
      )
      .execute();
  };
  const [http, updates, cert, backup, restore] = CHECKS as [Check, Check, Check, Check, Check];
  for (let day = 1; day <= 31; day++) {
    const d = String(day).padStart(2, '0');
    await result(
      backup,
      day === 12 ? 'warning' : 'ok',
      { age_hours: day === 12 ? 30 : 3 },
      `2026-03-${d}T03:00:00.000Z`,
    );
  }
  for (const [iso, status] of [
    ['2026-03-07T04:00:00.000Z', 'ok'],
    ['2026-03-14T04:00:00.000Z', 'critical'],
    ['2026-03-21T04:00:00.000Z', 'ok'],
    ['2026-03-28T04:00:00.000Z', 'ok'],
  ] as const)
    await result(restore, status, status === 'ok' ? { restored_bytes: 4096 } : {}, iso);
  await result(updates, 'critical', { updates: 12, security_updates: 5 }, '2026-03-02T06:00:00.000Z');
  await result(updates, 'warning', { updates: 6, security_updates: 2 }, '2026-03-16T06:00:00.000Z');
  await result(updates, 'ok', { updates: 1, security_updates: 0 }, '2026-03-30T06:00:00.000Z');
  await result(cert, 'ok', { days_left: 40 }, '2026-03-01T06:00:00.000Z');
  await result(cert, 'warning', { days_left: 20 }, '2026-03-21T06:00:00.000Z');
  await result(http, 'ok', { status_code: 200, latency_ms: 80 }, '2026-03-01T05:00:00.000Z');

  const contracts = new ContractBook();
  const open = async (c: Check, status: Status, iso: string) => {
    at(iso);
    const e = await applyStatus(
      db,
      {
        tenantId: tenant,
        host: c.host,
        environment: 'production',
        application: 'shop',
        checkId: c.id,
        checkType: c.type,
        status,
        message: `${c.id} ${status}`,
        observedAt: iso,
        resultId: t.newId(),
        findings: [],
      },
      { newId: t.newId, now: t.now, reopenWindowMs: 0, dueTimes: contracts.dueTimes() },
    );
    if (!e || !('ticket' in e)) throw new Error(`no ticket for ${c.id}`);
    return e.ticket.id;
  };
  const act = async (id: string, action: string, iso: string, body: unknown = {}) => {
    at(iso);
    const r = await t.api('POST', `/api/tickets/${id}/${action}`, pk, body);
    if (r.status !== 200) throw new Error(`${action} ${id}: ${JSON.stringify(r.body)}`);
  };
  // 1. The shop is down 3 hours (P1): acknowledged in 30 min, resolved in 3 h.
  const t1 = await open(http, 'critical', '2026-03-03T10:00:00.000Z');
  await act(t1, 'acknowledge', '2026-03-03T10:30:00.000Z');
  await act(t1, 'resolve', '2026-03-03T13:00:00.000Z', { comment: 'php-fpm restarted' });
  // 2. The backup is late (P2): acknowledged after 8 h (breach of 6 h), resolved in 22 h.
  const t2 = await open(backup, 'warning', '2026-03-10T08:00:00.000Z');
  await act(t2, 'acknowledge', '2026-03-10T16:00:00.000Z');
  await act(t2, 'resolve', '2026-03-11T06:00:00.000Z');
  // 3. db-01's agent is silent from 00:00; the sweep notices at 01:00 (P1), it reports again at 03:00.
  const lastSeen = async (iso: string, silent?: string) => {
    for (const [host, id] of agents)
      await touchAgent(db, id, new Date(host === silent ? '2026-03-20T00:00:00.000Z' : iso));
  };
  await lastSeen('2026-03-20T00:58:00.000Z', 'db-01');
  at('2026-03-20T01:00:00.000Z');
  await t.collector.sweep();
  await lastSeen('2026-03-20T03:00:00.000Z');
  at('2026-03-20T03:00:00.000Z');
  await t.collector.sweep();
  // 4. The client asks for something (P3) on the 25th; nobody answers in March.
  at('2026-03-25T09:00:00.000Z');
  const ck = await t.clientKey(tenant);
  const req = await t.api<{ id: string }>('POST', '/api/requests', ck, {
    title: 'Export of the March orders',
    description: 'A CSV of every order of March, please.',
    application: 'shop',
  });
  if (req.status !== 201) throw new Error(`request: ${JSON.stringify(req.body)}`);
  // Drift: iso-production runs an older PostgreSQL than production.
  for (const [host, pgv] of [
    ['web-01', '15.8'],
    ['web-iso-01', '13.4'],
  ] as const) {
    at('2026-03-26T08:00:00.000Z');
    await insertSnapshot(db, {
      id: `${tenant}:${t.newId()}`,
      tenant_id: tenant,
      host,
      check_id: 'fingerprint',
      taken_at: t.now().toISOString(),
      full: 1,
      items: JSON.stringify({ 'os.name': 'Debian 12', 'runtime.postgresql': pgv, 'cpu.cores': '4' }),
      received_at: t.now().toISOString(),
    });
    await refreshItemsSeen(db, tenant, host);
  }
  at('2026-04-01T06:00:00.000Z');
  // Keep every agent reporting: no more unreachable tickets.
  for (const id of agents.values()) await touchAgent(db, id, t.now());
  await t.collector.account();
  const tickets = await db
    .selectFrom('tickets')
    .select('id')
    .where('tenant_id', '=', tenant)
    .orderBy('opened_at')
    .execute();
  return { tenant, contractId: contract.body.id, ticketIds: tickets.map((x) => x.id) };
}
