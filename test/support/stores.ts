// Opens a fresh state store on each dialect, so store-level tests run on SQLite and on PostgreSQL alike.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { collectorMigrations } from '../../packages/collector/src/schema-migrations.js';
import { openStore, type Store } from '../../packages/collector/src/store/open.js';
import { testServers } from './env.js';

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];

export interface FreshStore {
  store: Store;
  /** Opens the same database again (a collector restart); the caller closes what it opened. */
  reopen(): Promise<Store>;
  dispose(): Promise<void>;
}

/**
 * A new empty store; for PostgreSQL a new database on the test server, dropped by `dispose`. SQLite is in
 * memory unless `file` is set (needed to `reopen` it).
 */
export async function freshStore(dialect: Dialect, options: { file?: boolean } = {}): Promise<FreshStore> {
  if (dialect === 'sqlite') {
    if (!options.file) {
      const store = await openStore({ kind: 'sqlite', path: ':memory:' }, collectorMigrations);
      return {
        store,
        reopen: () => Promise.reject(new Error('an in-memory SQLite store cannot be reopened')),
        dispose: () => store.close(),
      };
    }
    const dir = mkdtempSync(join(tmpdir(), 'vigie-store-'));
    const open = () => openStore({ kind: 'sqlite', path: join(dir, 'state.db') }, collectorMigrations);
    const store = await open();
    return {
      store,
      reopen: open,
      async dispose() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const base = new URL(testServers().pgUrl);
  const name = `vigie_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const open = () => openStore({ kind: 'postgres', url: url.toString(), poolSize: 4 }, collectorMigrations);
  const store = await open();
  return {
    store,
    reopen: open,
    async dispose() {
      await store.close();
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

/**
 * The `store` config of a new empty store for buildCollector: a SQLite file in a new folder, or a new
 * database on the test PostgreSQL server; `dispose` removes it (after the collector closed).
 */
export async function freshStoreConfig(dialect: Dialect): Promise<{
  store: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  dispose(): Promise<void>;
}> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-store-'));
    return {
      store: { kind: 'sqlite', path: join(dir, 'state.db') },
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const base = new URL(testServers().pgUrl);
  const name = `vigie_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    store: { kind: 'postgres', url: url.toString() },
    async dispose() {
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}
