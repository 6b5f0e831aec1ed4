// A whole collector (store, sink, API) for API-level tests on either dialect, with an injected clock; the
// caller talks to it through fastify's inject or, after listen(), over a real socket.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdGenerator } from '@vigie/shared';
import pg from 'pg';
import pino from 'pino';
import { buildCollector, type Collector } from '../../packages/collector/src/app.js';
import { loadCollectorConfig } from '../../packages/collector/src/config/load.js';
import { createApiKey } from '../../packages/collector/src/store/credentials.js';
import { addTenant } from '../../packages/collector/src/store/tenants.js';
import { testServers } from './env.js';
import type { Dialect } from './stores.js';

export interface TestCollector {
  collector: Collector;
  dir: string;
  /** The store config the collector runs on (a PostgreSQL URL names its own throwaway database). */
  store: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  now: () => Date;
  setNow(iso: string): void;
  advance(ms: number): void;
  newId: () => string;
  providerKey: string;
  /** A client key of the tenant (created on first use). */
  clientKey(tenant: string): Promise<string>;
  addTenant(id: string, name?: string): Promise<void>;
  /** A JSON API call through inject; returns the status and parsed body. */
  api<T = unknown>(
    method: string,
    url: string,
    key: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  dispose(): Promise<void>;
}

/** A new empty PostgreSQL database on the test server: its URL and how to drop it. */
export async function freshPostgresUrl(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = new URL(testServers().pgUrl);
  const name = `vigie_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function startTestCollector(opts: {
  dialect: Dialect;
  start?: string;
  config?: Record<string, unknown>;
  /** An existing PostgreSQL URL or SQLite path to open instead of a fresh store. */
  storeAt?: string;
  /** The data folder (embedded metrics, spool); default a new temporary one. */
  dir?: string;
}): Promise<TestCollector> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'vigie-collector-')));
  let clock = Date.parse(opts.start ?? '2026-03-02T08:00:00.000Z');
  const now = () => new Date(clock);
  const newId = createIdGenerator(() => clock);
  let drop: (() => Promise<void>) | undefined;
  let store: TestCollector['store'];
  if (opts.dialect === 'postgres') {
    if (opts.storeAt) store = { kind: 'postgres', url: opts.storeAt };
    else {
      const fresh = await freshPostgresUrl();
      drop = fresh.drop;
      store = { kind: 'postgres', url: fresh.url };
    }
  } else store = { kind: 'sqlite', path: opts.storeAt ?? join(dir, 'state.db') };
  const config = loadCollectorConfig(undefined, {
    dataDir: dir,
    listen: { host: '127.0.0.1', port: 0 },
    store,
    log: { level: 'error' },
    // Sweeps run when the test says (collector.sweep()), on its clock, not every 15 s of real time.
    tickets: { sweepInterval: '24h' },
    reports: { monthly: false },
    ...opts.config,
  } as never);
  const collector = await buildCollector(config, {
    log: pino({ level: process.env.VIGIE_TEST_LOG ?? 'silent' }),
    now,
  });
  const provider = await createApiKey(collector.store.db, {
    id: newId(),
    tenantId: null,
    name: 'noc',
    now: now(),
  });
  const clientKeys = new Map<string, string>();
  return {
    collector,
    dir,
    store,
    now,
    newId,
    setNow(iso) {
      clock = Date.parse(iso);
    },
    advance(ms) {
      clock += ms;
    },
    providerKey: provider.key,
    async clientKey(tenant) {
      let k = clientKeys.get(tenant);
      if (!k) {
        k = (
          await createApiKey(collector.store.db, {
            id: newId(),
            tenantId: tenant,
            name: `${tenant}-client`,
            now: now(),
          })
        ).key;
        clientKeys.set(tenant, k);
      }
      return k;
    },
    async addTenant(id, name) {
      await addTenant(collector.store.db, id, name ?? id, now());
    },
    async api<T>(method: string, url: string, key: string, body?: unknown) {
      const res = await collector.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${key}`, 'user-agent': 'vitest' },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      const text = res.body;
      return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async dispose() {
      await collector.close();
      await drop?.();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
