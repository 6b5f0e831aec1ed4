// The drift API over HTTP (fastify inject) with API keys, on SQLite and on PostgreSQL.
import swagger from '@fastify/swagger';
import { createIdGenerator, type Environment } from '@vigie/shared';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore } from '../../../../test/support/stores.js';
import { requireApiKey } from '../api/auth.js';
import { ApiError } from '../api/errors.js';
import { upsertAgent } from '../store/agents.js';
import { createApiKey } from '../store/credentials.js';
import { insertSnapshot } from '../store/drift.js';
import { addTenant } from '../store/tenants.js';
import { registerDriftRoutes } from './routes.js';
import { refreshItemsSeen } from './service.js';
import { ensureDriftTables } from './testing.js';

const HMAC_PROD = `hmac-sha256:${'1234abcd'.repeat(8)}`;
const HMAC_ISO = `hmac-sha256:${'feedbeef'.repeat(8)}`;
const PROD = {
  'os.hostname': 'shop-prod-01',
  'cpu.cores': '8',
  'runtime.postgresql': '15.8',
  'browser.chromium': '131.0.6778.85-1~deb12u1',
  'config./etc/shop/app.env.DB_HOST': 'db.prod.internal',
  'config./etc/shop/app.env.DB_PASSWORD': HMAC_PROD,
};
const ISO = {
  ...PROD,
  'os.hostname': 'shop-iso-01',
  'cpu.cores': '4',
  'runtime.postgresql': '13.4',
  'config./etc/shop/app.env.DB_HOST': 'db.iso.internal',
  'config./etc/shop/app.env.DB_PASSWORD': HMAC_ISO,
};

describe.each(DIALECTS)('drift API on %s', (dialect) => {
  let cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });

  async function setup() {
    const { store, dispose } = await freshStore(dialect);
    cleanups.push(dispose);
    await ensureDriftTables(store.db);
    let clock = Date.parse('2026-03-02T08:00:00.000Z');
    const now = () => new Date(clock);
    const advance = (ms: number) => {
      clock += ms;
    };
    const newId = createIdGenerator(() => clock);
    const db = store.db;
    for (const t of ['acme', 'globex']) await addTenant(db, t, t, now());
    const agent = (tenantId: string, host: string, environment: Environment) =>
      upsertAgent(db, {
        id: newId(),
        tenantId,
        tokenId: `tok-${host}`,
        agent: { host, environment, application: 'shop', version: 't' },
        now: now(),
      });
    const snapshot = async (tenantId: string, host: string, items: Record<string, string>) => {
      const id = `${tenantId}:${newId()}`;
      const at = now().toISOString();
      await insertSnapshot(db, {
        id,
        tenant_id: tenantId,
        host,
        check_id: 'fingerprint',
        taken_at: at,
        full: 1,
        items: JSON.stringify(items),
        received_at: at,
      });
      await refreshItemsSeen(db, tenantId, host);
      return id;
    };
    const keys = {
      provider: (await createApiKey(db, { id: newId(), tenantId: null, name: 'noc', now: now() })).key,
      acme: (await createApiKey(db, { id: newId(), tenantId: 'acme', name: 'acme-it', now: now() })).key,
      globex: (await createApiKey(db, { id: newId(), tenantId: 'globex', name: 'globex-it', now: now() }))
        .key,
    };
    const app: FastifyInstance = Fastify();
    app.setErrorHandler((err, _req, reply) => {
      if (err instanceof ApiError)
        return reply.code(err.statusCode).send({ error: err.code, message: err.message });
      const e = err as Error & { validation?: unknown };
      if (e.validation) return reply.code(400).send({ error: 'bad_request', message: e.message });
      return reply.code(500).send({ error: 'internal_error', message: e.message });
    });
    await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
    await app.register(async (api) => {
      requireApiKey(api, db);
      registerDriftRoutes(api, { db, now });
    });
    await app.ready();
    cleanups.push(() => app.close());
    const call = (key: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}` },
        ...(payload ? { payload } : {}),
      });
    return { app, db, now, advance, agent, snapshot, keys, call };
  }

  it('serves the parity report as JSON and as a Markdown attachment, scoped by tenant, without secrets', async () => {
    const { agent, snapshot, keys, call, app } = await setup();
    await agent('acme', 'shop-prod-01', 'production');
    await agent('acme', 'shop-iso-01', 'iso-production');
    await snapshot('acme', 'shop-prod-01', PROD);
    await snapshot('acme', 'shop-iso-01', ISO);

    const json = await call(keys.acme, 'GET', '/api/applications/shop/parity');
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toContain('application/json');
    const report = json.json();
    expect(report.comparisons[0].differences.map((d: { item: string; severity: string }) => d.item)).toEqual([
      'runtime.postgresql',
      'config./etc/shop/app.env.DB_HOST',
      'config./etc/shop/app.env.DB_PASSWORD',
      'cpu.cores',
    ]);

    const md = await call(keys.provider, 'GET', '/api/applications/shop/parity?format=markdown');
    expect(md.statusCode).toBe(200);
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.headers['content-disposition']).toBe('attachment; filename="parity-shop-2026-03-02.md"');
    expect(md.body).toContain('| iso-production | `shop-iso-01` | 1 | 3 | 0 | **no** |');
    for (const body of [json.body, md.body]) {
      expect(body).not.toContain(HMAC_PROD);
      expect(body).not.toContain(HMAC_ISO);
      expect(body).toContain('hmac-sha256:feedbeef…');
    }

    // The same application name in another tenant: each key sees only its own.
    await agent('globex', 'shop-prod-01', 'production');
    const globex = await call(keys.globex, 'GET', '/api/applications/shop/parity');
    expect(globex.statusCode).toBe(404);
    expect(globex.json().error).toBe('no_parity_report');
    expect((await call(keys.globex, 'GET', '/api/applications/shop/parity?tenant=acme')).statusCode).toBe(
      403,
    );
    const ambiguous = await call(keys.provider, 'GET', '/api/applications/shop/parity');
    expect(ambiguous.statusCode).toBe(400);
    expect(ambiguous.json().error).toBe('tenant_required');
    expect((await call(keys.provider, 'GET', '/api/applications/shop/parity?tenant=acme')).statusCode).toBe(
      200,
    );
    expect((await call(keys.acme, 'GET', '/api/applications/nope/parity')).json().error).toBe(
      'application_not_found',
    );
    expect((await app.inject({ method: 'GET', url: '/api/applications/shop/parity' })).statusCode).toBe(401);
  });

  it('sets the ignore patterns of an application', async () => {
    const { agent, snapshot, keys, call } = await setup();
    await agent('acme', 'shop-prod-01', 'production');
    await agent('acme', 'shop-iso-01', 'iso-production');
    await snapshot('acme', 'shop-prod-01', PROD);
    await snapshot('acme', 'shop-iso-01', ISO);
    const put = await call(keys.acme, 'PUT', '/api/applications/shop/parity/ignore', {
      patterns: ['config.*.DB_HOST', ' config.*.DB_HOST ', 'cpu.*'],
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({
      application: 'shop',
      defaults: ['os.hostname', 'net.*', '*.ip'],
      patterns: ['config.*.DB_HOST', 'cpu.*'],
      effective: ['os.hostname', 'net.*', '*.ip', 'config.*.DB_HOST', 'cpu.*'],
      updatedAt: '2026-03-02T08:00:00.000Z',
      updatedBy: 'key:acme-it',
    });
    expect((await call(keys.acme, 'GET', '/api/applications/shop/parity/ignore')).json().patterns).toEqual([
      'config.*.DB_HOST',
      'cpu.*',
    ]);
    const report = (await call(keys.acme, 'GET', '/api/applications/shop/parity')).json();
    expect(report.comparisons[0].differences.map((d: { item: string }) => d.item)).toEqual([
      'runtime.postgresql',
      'config./etc/shop/app.env.DB_PASSWORD',
    ]);
    expect(
      (await call(keys.acme, 'PUT', '/api/applications/shop/parity/ignore', { patterns: [''] })).statusCode,
    ).toBe(400);
    expect(
      (await call(keys.globex, 'PUT', '/api/applications/shop/parity/ignore', { patterns: [] })).statusCode,
    ).toBe(404);
  });

  it('approves a baseline, then shows the history and the drift from it', async () => {
    const { agent, snapshot, keys, call, advance } = await setup();
    await agent('acme', 'shop-iso-01', 'iso-production');
    expect((await call(keys.acme, 'POST', '/api/hosts/shop-iso-01/baseline')).json().error).toBe(
      'no_snapshot',
    );
    const first = await snapshot('acme', 'shop-iso-01', ISO);
    advance(60_000);
    const approved = await call(keys.acme, 'POST', '/api/hosts/shop-iso-01/baseline');
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toEqual({
      host: 'shop-iso-01',
      snapshotId: first,
      takenAt: '2026-03-02T08:00:00.000Z',
      approvedAt: '2026-03-02T08:01:00.000Z',
      approvedBy: 'key:acme-it',
      items: 6,
    });
    advance(60_000);
    await snapshot('acme', 'shop-iso-01', { ...ISO, 'runtime.postgresql': '13.5' });

    const drift = await call(keys.acme, 'GET', '/api/hosts/shop-iso-01/drift');
    expect(drift.statusCode).toBe(200);
    expect(drift.json().differences).toEqual([
      {
        item: 'runtime.postgresql',
        before: '13.4',
        after: '13.5',
        firstSeenAt: '2026-03-02T08:02:00.000Z',
        change: 'changed',
      },
    ]);
    const history = await call(keys.provider, 'GET', '/api/hosts/shop-iso-01/snapshots?limit=10');
    expect(history.statusCode).toBe(200);
    expect(history.json().map((h: { takenAt: string; changes: unknown }) => [h.takenAt, h.changes])).toEqual([
      ['2026-03-02T08:02:00.000Z', { added: 0, changed: 1, removed: 0, items: ['runtime.postgresql'] }],
      ['2026-03-02T08:00:00.000Z', null],
    ]);

    const byId = await call(keys.acme, 'POST', '/api/hosts/shop-iso-01/baseline', { snapshotId: first });
    expect(byId.json().snapshotId).toBe(first);
    expect(
      (await call(keys.acme, 'POST', '/api/hosts/shop-iso-01/baseline', { snapshotId: 'x' })).json().error,
    ).toBe('snapshot_not_found');
    expect(
      (await call(keys.acme, 'POST', '/api/hosts/shop-iso-01/baseline', { snapshotId: '' })).statusCode,
    ).toBe(400);

    // Another tenant's key sees neither the host nor its drift.
    expect((await call(keys.globex, 'GET', '/api/hosts/shop-iso-01/drift')).statusCode).toBe(404);
    expect((await call(keys.globex, 'GET', '/api/hosts/shop-iso-01/snapshots')).json().error).toBe(
      'host_not_found',
    );
    expect((await call(keys.globex, 'POST', '/api/hosts/shop-iso-01/baseline')).json().error).toBe(
      'host_not_found',
    );
    expect((await call(keys.provider, 'GET', '/api/hosts/nowhere/drift')).statusCode).toBe(404);
    await agent('acme', 'shop-prod-01', 'production');
    expect((await call(keys.acme, 'GET', '/api/hosts/shop-prod-01/drift')).json().error).toBe('no_baseline');
  });

  it('documents its routes in the OpenAPI document', async () => {
    const { app } = await setup();
    const doc = app.swagger() as { paths: Record<string, Record<string, { tags?: string[] }>> };
    expect(doc.paths['/api/applications/{app}/parity']?.get?.tags).toEqual(['drift']);
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith('/api/hosts/'))
        .sort(),
    ).toEqual(['/api/hosts/{host}/baseline', '/api/hosts/{host}/drift', '/api/hosts/{host}/snapshots']);
    expect(doc.paths['/api/applications/{app}/parity/ignore']?.put?.tags).toEqual(['drift']);
  });
});
