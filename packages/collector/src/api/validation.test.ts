// The REST API refuses instead of coercing (issue 15): wrong types, unknown properties and bad query parameters
// are a 400 naming the field; every error has the shape { error, message, field? } with a stable code, never a
// framework code; every answer says nosniff and no-store; the OpenAPI document shows the error shape.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdGenerator } from '@vigie/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCollector, type Collector } from '../app.js';
import { loadCollectorConfig } from '../config/load.js';
import { createApiKey } from '../store/credentials.js';
import { addTenant } from '../store/tenants.js';

const newId = createIdGenerator();
let collector: Collector;
let key: string;

beforeAll(async () => {
  collector = await buildCollector(
    loadCollectorConfig(undefined, {
      dataDir: mkdtempSync(join(tmpdir(), 'vigie-api-strict-')),
      listen: { host: '127.0.0.1', port: 0 },
    }),
    { log: pino({ level: 'silent' }) },
  );
  await addTenant(collector.store.db, 'acme', 'ACME', new Date());
  key = (
    await createApiKey(collector.store.db, { id: newId(), tenantId: null, name: 'noc', now: new Date() })
  ).key;
});

afterAll(async () => {
  await collector.close();
});

async function call(method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers = {}) {
  const r = await collector.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...headers },
    ...(payload === undefined
      ? {}
      : typeof payload === 'string'
        ? {
            payload,
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
          }
        : { payload: payload as object }),
  });
  return { status: r.statusCode, body: r.json() as Record<string, unknown>, headers: r.headers };
}

describe('strict request validation', () => {
  it.each([
    ['POST', '/api/tickets/t1/assign', { assignee: 123 }, 'body/assignee'],
    ['POST', '/api/tickets/t1/comments', { text: true }, 'body/text'],
    ['POST', '/api/enrollments', { tenant: ['x'] }, 'body/tenant'],
    ['PUT', '/api/applications/shop/parity/ignore', { patterns: '*' }, 'body/patterns'],
    ['POST', '/api/tickets/t1/assign', { assignee: 'bob', extra: 1 }, 'body/extra'],
    ['POST', '/api/tickets/t1/escalate', { reason: 'x', level: 'N9' }, 'body/level'],
    ['POST', '/api/tickets/t1/start', { force: true }, 'body/force'],
  ] as const)('%s %s %j is a 400 naming %s, not a conversion', async (method, url, body, field) => {
    const r = await call(method, url, body);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'bad_request', field });
    expect(r.body.message).toContain(field);
  });

  it.each([
    ['/api/tickets?status=nonsense', 'querystring/status'],
    ['/api/tickets?status=open,nonsense', 'querystring/status'],
    ['/api/tickets?priority=P9', 'querystring/priority'],
    ['/api/tickets?limit=abc', 'querystring/limit'],
    ['/api/tickets?limit=0', 'querystring/limit'],
    ['/api/tickets?sort=random', 'querystring/sort'],
    ['/api/tickets?environment=prod', 'querystring/environment'],
    ['/api/tickets?stauts=open', 'querystring/stauts'],
    ['/api/tickets?status=open&status=closed', 'querystring/status'],
    ['/api/agents?tenant=', 'querystring/tenant'],
    ['/api/hosts/web-01/series?since=yesterday', 'querystring/since'],
    ['/api/hosts/web-01/snapshots?limit=9999', 'querystring/limit'],
    ['/api/sink/dead-letters?limit=-1', 'querystring/limit'],
  ])('GET %s is a 400 naming %s', async (url, field) => {
    const r = await call('GET', url);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'bad_request', field });
  });

  it('still reads numbers and lists from the query string', async () => {
    const r = await call('GET', '/api/tickets?status=open, acknowledged&limit=5&sort=priority&order=asc');
    expect(r.status).toBe(200);
    expect(r.body).toEqual([]);
  });

  it('a huge or zero enrollment lifetime is a 400, a sane one works', async () => {
    for (const ttl of ['99999999999d', '31d', '0s', 'soon']) {
      const r = await call('POST', '/api/enrollments', { tenant: 'acme', ttl });
      expect(r.status, ttl).toBe(400);
      expect(r.body).toMatchObject({ error: 'bad_request', field: 'body/ttl' });
    }
    const ok = await call('POST', '/api/enrollments', { tenant: 'acme', ttl: '2h' });
    expect(ok.status).toBe(201);
  });
});

describe('one error shape, stable codes', () => {
  it('answers unparsable JSON, a wrong content type, a huge body and a long id in the same shape', async () => {
    const cases = [
      { r: await call('POST', '/api/tickets/t1/assign', '{"assignee":'), status: 400, error: 'bad_request' },
      {
        r: await call('POST', '/api/tickets/t1/assign', 'assignee=bob', {
          'content-type': 'application/xml',
        }),
        status: 415,
        error: 'unsupported_media_type',
      },
      {
        r: await call('POST', '/api/tickets/t1/comments', { text: 'x'.repeat(2 * 1024 * 1024) }),
        status: 413,
        error: 'body_too_large',
      },
      { r: await call('GET', `/api/tickets/${'x'.repeat(500)}`), status: 414, error: 'uri_too_long' },
      { r: await call('GET', '/api/nothing-here'), status: 404, error: 'not_found' },
      {
        r: await call('GET', '/api/agents', undefined, { authorization: 'Bearer nope' }),
        status: 401,
        error: 'invalid_api_key',
      },
    ];
    for (const { r, status, error } of cases) {
      expect(r.status).toBe(status);
      expect(r.body.error).toBe(error);
      expect(typeof r.body.message).toBe('string');
      expect(Object.keys(r.body).every((k) => ['error', 'message', 'field'].includes(k))).toBe(true);
      expect(JSON.stringify(r.body)).not.toContain('FST_');
    }
  });

  it('says nosniff and no-store on API answers and errors; the page assets keep their own cache policy', async () => {
    for (const url of [
      '/api/agents',
      '/api/tickets?status=nonsense',
      '/healthz',
      '/openapi.json',
      '/api/x',
    ]) {
      const r = await call('GET', url);
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['cache-control'], url).toBe('no-store');
    }
    const page = await collector.app.inject({ method: 'GET', url: '/static/app.js' });
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
  });

  it('documents the error shape in the OpenAPI document', async () => {
    const doc = (await call('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const bad = JSON.stringify(doc.paths['/api/tickets']?.get?.responses['400']);
    expect(bad).toContain('"field"');
    expect(bad).toContain('"error"');
    expect(doc.paths['/api/sink/dead-letters']?.get).toBeDefined();
    // Every API route documents its errors in that shape.
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/') || path === '/api/live') continue;
      for (const [method, op] of Object.entries(methods)) {
        const errors = Object.entries(op.responses).filter(([status]) => status.startsWith('4'));
        expect(errors.length, `${method} ${path}`).toBeGreaterThan(0);
        for (const [, response] of errors) expect(JSON.stringify(response)).toContain('"message"');
      }
    }
  });
});
