// The web routes on their own fastify app and a real SQLite store: static files without traversal, and the
// live feed: tenant filtering, heartbeat, a revoked key cut off, subscriptions dropped on disconnect, and
// open streams not holding up close().
import { request } from 'node:http';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectorMigrations } from '../schema-migrations.js';
import { createApiKey } from '../store/credentials.js';
import { openStore, type Store } from '../store/open.js';
import { addTenant } from '../store/tenants.js';
import { LiveFeed } from './live.js';
import { registerWebRoutes, staticFile } from './routes.js';

interface Stream {
  status: number;
  text: () => string;
  closed: Promise<void>;
  close: () => void;
}

function get(base: string, path: string): Promise<Stream> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    let body = '';
    const req = request(url, { agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      const closed = new Promise<void>((done) => {
        res.on('close', () => done());
      });
      resolve({ status: res.statusCode ?? 0, text: () => body, closed, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('staticFile', () => {
  const root = '/srv/static';
  it('maps plain relative paths with a served extension inside the folder', () => {
    expect(staticFile('app.js', root)).toBe(join(root, 'app.js'));
    expect(staticFile('img/logo.svg', root)).toBe(join(root, 'img/logo.svg'));
  });
  it('refuses traversal, hidden files, odd characters and unknown extensions', () => {
    for (const p of [
      '',
      '../routes.ts',
      'img/../../x.js',
      './app.js',
      'a//b.js',
      '/etc/passwd.txt',
      '..\\x.js',
      'a\0.js',
      'C:/x.js',
      '.env.js',
      'app.ts',
      'noext',
    ])
      expect(staticFile(p, root), p).toBeUndefined();
  });
});

describe('GET /api/live', () => {
  let store: Store;
  let app: FastifyInstance;
  let feed: LiveFeed;
  let base: string;
  let provider: string;
  let acme: string;
  let acmeId: string;

  beforeEach(async () => {
    store = await openStore({ kind: 'sqlite', path: ':memory:' }, collectorMigrations);
    const now = new Date();
    await addTenant(store.db, 'acme', 'ACME', now);
    await addTenant(store.db, 'globex', 'Globex', now);
    provider = (await createApiKey(store.db, { id: 'k-provider', tenantId: null, name: 'noc', now })).key;
    acmeId = 'k-acme';
    acme = (await createApiKey(store.db, { id: acmeId, tenantId: 'acme', name: 'acme', now })).key;
    feed = new LiveFeed();
    app = Fastify();
    registerWebRoutes(app, { feed, db: store.db, heartbeatMs: 100 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  afterEach(async () => {
    await app.close();
    await store.close();
  });

  it('sends a client key only its tenant, a provider key everything, and drops subscribers that leave', async () => {
    const all = await get(base, `/api/live?key=${provider}`);
    const mine = await get(base, `/api/live?key=${acme}`);
    expect([all.status, mine.status]).toEqual([200, 200]);
    await until('ready', () => all.text().includes('event: ready') && mine.text().includes('event: ready'));
    expect(feed.size).toBe(2);
    feed.publish({ type: 'ticket', tenant: 'globex', ticketId: 't-globex', action: 'opened' });
    feed.publish({ type: 'results', tenant: 'acme', host: 'acme-web' });
    await until('both events on the provider stream', () => all.text().includes('acme-web'));
    await until('the acme event on the client stream', () => mine.text().includes('acme-web'));
    expect(all.text()).toContain('t-globex');
    expect(mine.text()).not.toContain('globex');
    expect(mine.text()).toContain('data: {"type":"results","tenant":"acme","host":"acme-web"}\n\n');
    all.close();
    mine.close();
    await until('no subscriber left', () => feed.size === 0);
  });

  it('takes the key from the Authorization header too, and refuses a missing, unknown or out-of-scope key', async () => {
    const r = await fetch(`${base}/api/live?tenant=globex`, { headers: { authorization: `Bearer ${acme}` } });
    expect(r.status).toBe(403);
    await r.text();
    for (const path of ['/api/live', '/api/live?key=vgk_nope']) {
      const s = await get(base, path);
      expect(s.status, path).toBe(401);
      await s.closed;
    }
    expect(feed.size).toBe(0);
  });

  it('beats every heartbeat and cuts a stream whose key was revoked', async () => {
    const s = await get(base, `/api/live?key=${acme}`);
    await until('two heartbeats', () => (s.text().match(/^: heartbeat /gm) ?? []).length >= 2);
    await store.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date().toISOString() })
      .where('id', '=', acmeId)
      .execute();
    await s.closed;
    expect(s.text()).toContain('event: revoked');
    expect(feed.size).toBe(0);
  });

  it('ends open streams when the app closes', async () => {
    const s = await get(base, `/api/live?key=${provider}`);
    await until('ready', () => s.text().includes('event: ready'));
    const t0 = Date.now();
    await app.close();
    await s.closed;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(feed.size).toBe(0);
  });
});
