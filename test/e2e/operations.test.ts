// The provider's daily operations over HTTP, with a real agent connection, a real webhook receiver and the
// collector's clock injected, on SQLite and PostgreSQL: maintenance windows and silences (no ticket, no
// notification, SLA clock stopped; the next failure after the end opens a ticket), tenants created, edited and
// archived, a host decommissioned, the read-only client role, requests, ticket search by date with paging,
// and SLA countdowns in contract (business) time.
import { CollectorClient, MemoryOutbox } from '@vigie/agent';
import {
  addTenant,
  buildCollector,
  type Collector,
  createAgentToken,
  createApiKey,
  loadCollectorConfig,
} from '@vigie/collector';
import { createIdGenerator, type Result } from '@vigie/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../../packages/collector/src/connectors/testing/receiver.js';
import { DIALECTS, freshStoreConfig } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

const log = pino({ level: 'silent' });
const newId = createIdGenerator();
const MIN = 60_000;
/** A Friday, 16:00 in Paris (15:00 UTC). */
const T0 = Date.parse('2026-11-27T15:00:00.000Z');

interface Ticket {
  id: string;
  host: string;
  checkId: string;
  kind: string;
  status: string;
  severity: string;
  category?: string;
  responseDueAt: string;
  countdown: {
    phase: string;
    dueAt: string;
    remainingMs: number;
    running: boolean;
    stoppedBy: string | null;
    calendar: string;
    timeZone: string | null;
  } | null;
  maintenance: { id: string; reason: string; until: string | null } | null;
}

describe.each(DIALECTS)('daily operations on %s', (dialect) => {
  let collector: Collector;
  let dispose: () => Promise<void>;
  let base: string;
  let provider: string;
  let client: string;
  let hook: Receiver;
  let clock = T0;
  const agents = new Map<string, { client: CollectorClient; outbox: MemoryOutbox }>();

  const call = async <T = unknown>(key: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const ok = async <T>(key: string, method: string, path: string, body?: unknown): Promise<T> => {
    const r = await call<T>(key, method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  const result = (checkId: string, status: Result['status'], at = clock): Result => ({
    id: newId(),
    checkId,
    type: checkId === 'disk' ? 'filesystem' : 'cpu',
    category: 'performance',
    status,
    metrics: {},
    message: `${checkId} ${status}`,
    observedAt: new Date(at).toISOString(),
    durationMs: 1,
  });
  const send = async (host: string, ...results: Result[]) => {
    const a = agents.get(host);
    if (!a) throw new Error(`no agent ${host}`);
    for (const r of results) a.outbox.push({ kind: 'result', result: r });
    await waitFor(`delivery from ${host}`, () => a.outbox.size() === 0);
  };
  const tickets = (query: string) => ok<Ticket[]>(provider, 'GET', `/api/tickets?${query}`);
  const notified = (ticketId: string, kind?: string) =>
    hook.requests.filter((r) => {
      const n = JSON.parse(r.body) as { kind: string; ticket: { id: string } };
      return n.ticket.id === ticketId && (kind === undefined || n.kind === kind);
    });

  beforeAll(async () => {
    hook = await Receiver.start(() => ({ status: 200 }));
    const fresh = await freshStoreConfig(dialect);
    dispose = fresh.dispose;
    collector = await buildCollector(
      loadCollectorConfig(undefined, {
        dataDir: (fresh.store.kind === 'sqlite' ? fresh.store.path : '/tmp').replace(/\/state\.db$/, ''),
        store: fresh.store,
        listen: { host: '127.0.0.1', port: 0 },
        tickets: { confirm: { failures: 1, recoveries: 1 }, silentAgentAfter: '10m' },
        connectors: [{ kind: 'webhook', name: 'itsm', url: hook.url(), secret: 'a-long-shared-secret-1234' }],
      }),
      { log, now: () => new Date(clock) },
    );
    base = await collector.listen();
    const db = collector.store.db;
    const now = new Date(clock);
    await addTenant(db, 'acme', 'ACME Retail', now);
    provider = (await createApiKey(db, { id: newId(), tenantId: null, name: 'noc', now })).key;
    client = (await createApiKey(db, { id: newId(), tenantId: 'acme', name: 'acme-it', now, role: 'client' }))
      .key;
    for (const host of ['web-01', 'db-01']) {
      const token = (await createAgentToken(db, { id: newId(), tenantId: 'acme', host, now })).token;
      const outbox = new MemoryOutbox(100);
      const c = new CollectorClient(
        {
          url: `${base.replace('http', 'ws')}/ingest`,
          token,
          agent: { host, environment: 'production', application: 'shop', version: 't' },
          // The agents' clock is the collector's (injected): no skew to correct.
          now: () => new Date(clock),
          batchSize: 50,
          reconnectMinMs: 50,
          reconnectMaxMs: 200,
          heartbeatMs: 5000,
        },
        outbox,
        log,
      );
      agents.set(host, { client: c, outbox });
      c.start();
      await send(host, result('disk', 'ok'), result('cpu', 'ok'));
    }
  });

  afterAll(async () => {
    for (const a of agents.values()) await a.client.stop();
    await collector?.close();
    await hook?.close();
    await dispose?.();
  });

  it('a window silences a failing check (no ticket, no notification); the next failure after it opens one', async () => {
    const bad = await call(provider, 'POST', '/api/maintenance', {
      tenant: 'acme',
      reason: 'x',
      duration: 'soon',
    });
    expect(bad.status).toBe(400);
    const noEnd = await call<{ error: string; message: string }>(provider, 'POST', '/api/maintenance', {
      tenant: 'acme',
      reason: 'disk swap',
      startsAt: new Date(clock).toISOString(),
    });
    expect(noEnd.status).toBe(400);
    expect(noEnd.body.message).toMatch(/^\/endsAt: /);
    const w = await ok<{ id: string; kind: string; active: boolean; createdBy: string }>(
      provider,
      'POST',
      '/api/maintenance',
      {
        tenant: 'acme',
        host: 'web-01',
        checkId: 'disk',
        reason: 'disk replacement',
        duration: '1h',
      },
    );
    expect(w).toMatchObject({ kind: 'silence', active: true, createdBy: 'key:noc' });

    await send('web-01', result('disk', 'critical'), result('cpu', 'critical'));
    const during = await tickets('host=web-01');
    // The window covers web-01's disk only: the cpu ticket opens, the disk one does not.
    expect(during.map((t) => t.checkId)).toEqual(['cpu']);
    const cpu = during[0] as Ticket;
    await waitFor('the cpu ticket notified', () => notified(cpu.id, 'opened').length === 1);

    clock += 61 * MIN;
    expect(
      (
        await ok<Array<{ id: string; active: boolean }>>(
          provider,
          'GET',
          '/api/maintenance?tenant=acme&host=web-01',
        )
      ).find((x) => x.id === w.id)?.active,
    ).toBe(false);
    await send('web-01', result('disk', 'critical'));
    const [disk] = await tickets('host=web-01&category=performance&severity=critical&sort=openedAt');
    expect(disk?.checkId).toBe('disk');
    await waitFor('the disk ticket notified', () => notified(disk?.id ?? '', 'opened').length === 1);
    // Nothing about disk went out while the window ran: the only notification is the one after it.
    expect(hook.requests.filter((r) => r.body.includes('"checkId":"disk"'))).toHaveLength(1);
  });

  it('a host window holds back notifications of open tickets and stops their SLA clock', async () => {
    await send('db-01', result('cpu', 'critical'));
    const t = (await tickets('host=db-01&status=open')).find((x) => x.checkId === 'cpu');
    if (!t) throw new Error('no db-01 cpu ticket');
    const dueBefore = Date.parse(t.responseDueAt);
    await ok(provider, 'POST', '/api/maintenance', {
      tenant: 'acme',
      host: 'db-01',
      reason: 'kernel update',
      duration: '30m',
    });
    const covered = await ok<Ticket>(provider, 'GET', `/api/tickets/${t.id}`);
    expect(covered.maintenance?.reason).toBe('kernel update');
    expect(covered.countdown).toMatchObject({ running: false, stoppedBy: 'maintenance' });
    await ok(provider, 'POST', `/api/tickets/${t.id}/acknowledge`, {});
    clock += 30 * MIN;
    await collector.sweep();
    const after = await ok<Ticket>(provider, 'GET', `/api/tickets/${t.id}`);
    expect(Date.parse(after.responseDueAt) - dueBefore).toBe(0); // acknowledged: the response target is met
    await ok(provider, 'POST', `/api/tickets/${t.id}/resolve`, {});
    await waitFor('the resolve notified', () => notified(t.id, 'resolved').length === 1);
    expect(notified(t.id, 'acknowledged')).toHaveLength(0);

    // An unacknowledged ticket: its due time moves later by the window's covered time.
    await send('db-01', result('disk', 'critical'));
    // db-01's agent has been silent since the clock jumped: its agent ticket is the one the sweep keeps
    // counting (the host's check tickets wait behind it), so that is the ticket whose due time moves.
    const d = (await tickets('host=db-01&status=open')).find((x) => x.checkId === 'agent');
    if (!d) throw new Error('no db-01 agent ticket');
    const due0 = Date.parse(d.responseDueAt);
    await ok(provider, 'POST', '/api/maintenance', {
      tenant: 'acme',
      host: 'db-01',
      reason: 'reboot',
      duration: '20m',
    });
    clock += 20 * MIN;
    await collector.sweep();
    const moved = await ok<Ticket>(provider, 'GET', `/api/tickets/${d.id}`);
    expect(Date.parse(moved.responseDueAt) - due0).toBe(20 * MIN);
  });

  it('a client key reads and comments, opens a request, but cannot change a ticket (403)', async () => {
    const [t] = await ok<Ticket[]>(client, 'GET', '/api/tickets?status=open');
    if (!t) throw new Error('no ticket for the client');
    for (const [action, body] of [
      ['acknowledge', {}],
      ['start', {}],
      ['waiting', {}],
      ['resolve', {}],
      ['close', {}],
      ['escalate', { reason: 'x' }],
      ['assign', { assignee: 'me' }],
    ] as const) {
      const r = await call<{ error: string }>(client, 'POST', `/api/tickets/${t.id}/${action}`, body);
      expect(r.status, action).toBe(403);
      expect(r.body.error).toBe('read_only_role');
    }
    expect(
      (await call(client, 'POST', `/api/tickets/${t.id}/comments`, { text: 'we restarted it' })).status,
    ).toBe(200);
    expect((await call(client, 'POST', '/api/maintenance', { reason: 'x', duration: '1h' })).status).toBe(
      403,
    );
    expect((await call(client, 'PATCH', '/api/tenants/acme', { name: 'x' })).status).toBe(403);
    expect(await ok(client, 'PUT', '/api/me', { locale: 'fr' })).toMatchObject({
      role: 'client',
      tenant: 'acme',
      locale: 'fr',
    });
    const req = await ok<Ticket>(client, 'POST', '/api/requests', {
      title: 'Open port 8443',
      description: 'for the new API',
    });
    expect(req).toMatchObject({ kind: 'request', status: 'open', host: '-' });
    expect((await ok<Ticket[]>(provider, 'GET', '/api/tickets?category=request')).map((x) => x.id)).toEqual([
      req.id,
    ]);
  });

  it('searches tickets by date range with paging', async () => {
    const from = new Date(T0).toISOString();
    const to = new Date(clock + MIN).toISOString();
    const all = await tickets(`from=${from}&to=${to}&limit=1000`);
    expect(all.length).toBeGreaterThanOrEqual(4);
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 20; page++) {
      const r = await call<Ticket[]>(provider, 'GET', `/api/tickets?from=${from}&to=${to}&limit=2${cursor}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.map((t) => t.id));
      const next = r.headers.get('x-next-cursor');
      if (!next) break;
      cursor = `&cursor=${next}`;
    }
    expect(seen).toEqual(all.map((t) => t.id));
    expect(await tickets(`to=${from}`)).toEqual([]);
    expect((await call(provider, 'GET', '/api/tickets?cursor=nonsense')).status).toBe(400);
  });

  it('counts SLA time in business hours, stopped outside them, with the wall-clock due time', async () => {
    await ok(provider, 'PUT', '/api/tenants/acme/contract', {
      calendar: {
        kind: 'business',
        timeZone: 'Europe/Paris',
        days: [1, 2, 3, 4, 5],
        hours: [{ from: '09:00', to: '18:00' }],
      },
      response: { P1: '2h', P2: '6h', P3: '24h', P4: '72h' },
      resolution: { P1: '8h', P2: '24h', P3: '72h', P4: '240h' },
    });
    clock = Date.parse('2026-12-04T16:00:00.000Z'); // Friday 17:00 in Paris
    await send('web-01', result('cpu', 'ok'), result('load', 'critical'));
    const [t] = await tickets('host=web-01&status=open&sort=openedAt&order=desc');
    expect(t?.checkId).toBe('load');
    expect(t?.countdown).toMatchObject({
      phase: 'response',
      remainingMs: 2 * 60 * MIN,
      running: true,
      calendar: 'business',
      timeZone: 'Europe/Paris',
      dueAt: '2026-12-07T09:00:00.000Z', // Monday 10:00 in Paris
    });
    clock = Date.parse('2026-12-04T17:30:00.000Z'); // Friday 18:30: closed
    const later = await ok<Ticket>(provider, 'GET', `/api/tickets/${t?.id}`);
    expect(later.countdown).toMatchObject({ remainingMs: 60 * MIN, running: false, stoppedBy: 'hours' });
  });

  it('decommissions a host: disconnected, out of the fleet and of silence detection, history kept', async () => {
    const before = await tickets('host=db-01');
    const done = await ok<{ revokedTokens: number }>(
      provider,
      'POST',
      '/api/hosts/db-01/decommission?tenant=acme',
      {},
    );
    expect(done.revokedTokens).toBe(1);
    expect((await call(provider, 'POST', '/api/hosts/db-01/decommission?tenant=acme', {})).status).toBe(409);
    const fleet = await ok<Array<{ host: string }>>(provider, 'GET', '/api/agents');
    expect(fleet.map((a) => a.host)).toEqual(['web-01']);
    const all = await ok<Array<{ host: string; decommissionedAt: string | null }>>(
      provider,
      'GET',
      '/api/agents?decommissioned=true',
    );
    expect(all.find((a) => a.host === 'db-01')?.decommissionedAt).not.toBeNull();
    clock += 60 * MIN;
    await collector.sweep();
    // No new ticket (an "agent unreachable" one above all) and none left open: the history is all there is.
    expect((await tickets('host=db-01&status=open,acknowledged,in_progress,waiting')).length).toBe(0);
    expect((await tickets('host=db-01')).map((t) => t.id).sort()).toEqual(before.map((t) => t.id).sort());
  });

  it('creates, edits and archives a tenant; an archived tenant’s keys stop working', async () => {
    expect(
      (
        await call(provider, 'POST', '/api/tenants', {
          id: 'globex',
          name: 'Globex',
          timeZone: 'Mars/Olympus',
        })
      ).status,
    ).toBe(400);
    const g = await ok<{ timeZone: string }>(provider, 'POST', '/api/tenants', {
      id: 'globex',
      name: 'Globex',
      locale: 'fr',
    });
    expect(g.timeZone).toBe('UTC');
    expect((await call(provider, 'POST', '/api/tenants', { id: 'globex', name: 'Globex' })).status).toBe(409);
    expect(
      await ok(provider, 'PATCH', '/api/tenants/globex', {
        name: 'Globex Insurance',
        timeZone: 'Europe/Paris',
      }),
    ).toMatchObject({
      name: 'Globex Insurance',
      timeZone: 'Europe/Paris',
      locale: 'fr',
    });
    const gKey = (
      await createApiKey(collector.store.db, {
        id: newId(),
        tenantId: 'globex',
        name: 'g',
        now: new Date(clock),
      })
    ).key;
    expect((await call(gKey, 'GET', '/api/tickets')).status).toBe(200);
    const archived = await ok<{ archivedAt: string | null; archivedBy: string }>(
      provider,
      'POST',
      '/api/tenants/globex/archive',
      {},
    );
    expect(archived.archivedBy).toBe('key:noc');
    expect((await call(gKey, 'GET', '/api/tickets')).status).toBe(401);
    expect((await call(provider, 'PATCH', '/api/tenants/globex', { name: 'x' })).status).toBe(409);
  });
});
