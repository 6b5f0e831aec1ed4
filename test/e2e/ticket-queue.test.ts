// The ticket queue API over HTTP: filters and sorting, a ticket with its timeline, the actions people take
// (with who did them), tenant isolation of client keys, and the OpenAPI document generated from the routes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { waitFor } from '../support/wait.js';

const log = pino({ level: 'silent' });
const newId = createIdGenerator();

interface Ticket {
  id: string;
  tenant: string;
  host: string;
  checkId: string;
  status: string;
  priority: string;
  supportLevel: string;
  assignee: string | null;
  acknowledgedAt: string | null;
  responseDueAt: string;
  environment: string;
}

describe('ticket queue API', () => {
  let collector: Collector;
  let base: string;
  let provider: string;
  let acmeKey: string;
  let globexKey: string;
  const clients: CollectorClient[] = [];

  const call = async (key: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, body: (await r.json()) as unknown };
  };

  beforeAll(async () => {
    collector = await buildCollector(
      loadCollectorConfig(undefined, {
        dataDir: mkdtempSync(join(tmpdir(), 'vigie-queue-')),
        listen: { host: '127.0.0.1', port: 0 },
        tickets: { confirm: { failures: 1, recoveries: 1 } },
      }),
      { log },
    );
    base = await collector.listen();
    const db = collector.store.db;
    const now = new Date();
    await addTenant(db, 'acme', 'ACME', now);
    await addTenant(db, 'globex', 'Globex', now);
    provider = (await createApiKey(db, { id: newId(), tenantId: null, name: 'noc', now })).key;
    acmeKey = (await createApiKey(db, { id: newId(), tenantId: 'acme', name: 'acme-it', now })).key;
    globexKey = (await createApiKey(db, { id: newId(), tenantId: 'globex', name: 'globex-it', now })).key;
    const send = async (
      tenant: string,
      host: string,
      env: 'production' | 'iso-production',
      results: Result[],
    ) => {
      const token = (await createAgentToken(db, { id: newId(), tenantId: tenant, now })).token;
      const outbox = new MemoryOutbox(100);
      const c = new CollectorClient(
        {
          url: `${base.replace('http', 'ws')}/ingest`,
          token,
          agent: { host, environment: env, application: 'shop', version: 't' },
          batchSize: 50,
          reconnectMinMs: 50,
          reconnectMaxMs: 200,
          heartbeatMs: 5000,
        },
        outbox,
        log,
      );
      clients.push(c);
      c.start();
      for (const r of results) outbox.push({ kind: 'result', result: r });
      await waitFor('delivery', () => outbox.size() === 0);
    };
    const r = (checkId: string, status: Result['status']): Result => ({
      id: newId(),
      checkId,
      type: 't',
      category: 'performance',
      status,
      metrics: {},
      message: `${checkId} ${status}`,
      observedAt: new Date().toISOString(),
      durationMs: 1,
    });
    await send('acme', 'acme-web', 'production', [r('db', 'critical'), r('disk', 'warning')]);
    await send('acme', 'acme-iso', 'iso-production', [r('db', 'critical')]);
    await send('globex', 'globex-web', 'production', [r('db', 'critical')]);
  });

  afterAll(async () => {
    for (const c of clients) await c.stop();
    await collector.close();
  });

  it('lists with filters and sorts by SLA due time, most urgent first', async () => {
    const all = (await call(provider, 'GET', '/api/tickets?status=open&sort=responseDue')).body as Ticket[];
    expect(all).toHaveLength(4);
    expect(all.map((t) => t.priority)).toEqual(['P1', 'P1', 'P2', 'P2']);
    const dues = all.map((t) => Date.parse(t.responseDueAt));
    expect([...dues].sort((a, b) => a - b)).toEqual(dues);
    const iso = (await call(provider, 'GET', '/api/tickets?environment=iso-production')).body as Ticket[];
    expect(iso.map((t) => [t.host, t.priority])).toEqual([['acme-iso', 'P2']]);
    const p1 = (await call(provider, 'GET', '/api/tickets?priority=P1&tenant=globex')).body as Ticket[];
    expect(p1.map((t) => t.host)).toEqual(['globex-web']);
    const bad = await call(provider, 'GET', '/api/tickets?sort=colour');
    expect(bad.status).toBe(400);
  });

  it('scopes client keys to their tenant: lists, reads and actions', async () => {
    const mine = (await call(acmeKey, 'GET', '/api/tickets')).body as Ticket[];
    expect(new Set(mine.map((t) => t.tenant))).toEqual(new Set(['acme']));
    const theirs = (
      (await call(provider, 'GET', '/api/tickets?tenant=globex')).body as Ticket[]
    )[0] as Ticket;
    expect((await call(acmeKey, 'GET', `/api/tickets/${theirs.id}`)).status).toBe(404);
    expect((await call(acmeKey, 'POST', `/api/tickets/${theirs.id}/acknowledge`, {})).status).toBe(404);
    expect((await call(acmeKey, 'GET', '/api/tickets?tenant=globex')).status).toBe(403);
    expect((await call(globexKey, 'GET', '/api/agents')).body).toHaveLength(1);
    expect((await call('vgk_wrong', 'GET', '/api/tickets')).status).toBe(401);
  });

  it('acknowledge, assign, comment, wait, resume, escalate, resolve, close: each in the timeline with its actor', async () => {
    const t = (
      (await call(provider, 'GET', '/api/tickets?host=acme-web&priority=P1')).body as Ticket[]
    )[0] as Ticket;
    const steps: Array<[string, unknown]> = [
      ['acknowledge', { comment: 'looking' }],
      ['assign', { assignee: 'alice' }],
      ['comments', { text: 'disk full on /var/lib/postgresql' }],
      ['waiting', { reason: 'client must approve the purge' }],
      ['resume', {}],
      ['escalate', { reason: 'needs a DBA' }],
      ['resolve', { comment: 'purged old WAL' }],
      ['close', {}],
    ];
    for (const [action, body] of steps) {
      const r = await call(acmeKey, 'POST', `/api/tickets/${t.id}/${action}`, body);
      expect(r.status, `${action}: ${JSON.stringify(r.body)}`).toBe(200);
    }
    const full = (await call(provider, 'GET', `/api/tickets/${t.id}`)).body as Ticket & {
      timeline: Array<{ kind: string; actor: string; details: Record<string, unknown> }>;
    };
    expect(full).toMatchObject({ status: 'closed', assignee: 'alice', supportLevel: 'N2' });
    expect(full.acknowledgedAt).not.toBeNull();
    expect(full.timeline.map((e) => `${e.kind}:${e.actor}`)).toEqual([
      'opened:vigie',
      'acknowledged:key:acme-it',
      'assigned:key:acme-it',
      'comment:key:acme-it',
      'waiting_for_client:key:acme-it',
      'resumed:key:acme-it',
      'escalated:key:acme-it',
      'resolved:key:acme-it',
      'closed:key:acme-it',
    ]);
    expect(full.timeline[3]?.details.text).toBe('disk full on /var/lib/postgresql');
    const again = await call(acmeKey, 'POST', `/api/tickets/${t.id}/acknowledge`, {});
    expect(again).toMatchObject({ status: 409, body: { error: 'invalid_transition' } });
    const missing = await call(acmeKey, 'POST', `/api/tickets/${t.id}/assign`, {});
    expect(missing.status).toBe(400);
  });

  it('serves the OpenAPI document generated from the route schemas', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { parameters?: unknown[]; requestBody?: unknown; responses: Record<string, unknown> }>
      >;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/tickets',
        '/api/tickets/{id}',
        '/api/tickets/{id}/acknowledge',
        '/api/agents',
        '/enroll',
      ]),
    );
    expect(doc.paths['/api/tickets']?.get?.parameters?.length).toBeGreaterThan(5);
    expect(doc.paths['/api/tickets/{id}/escalate']?.post?.requestBody).toBeDefined();
    expect(doc.paths['/api/tickets/{id}']?.get?.responses['200']).toBeDefined();
  });
});
