// Opens the state store: SQLite (better-sqlite3) by default, PostgreSQL by URL; migrates it to the latest schema.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type Migration, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type StoreConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; poolSize?: number };

export type Db = Kysely<Database>;

export interface Store {
  db: Db;
  dialect: StoreConfig['kind'];
  /**
   * The connection under Kysely, for the ingest hot path's hand-written statements: the SQLite handle (used
   * only while holding Kysely's connection, so statements never interleave), or the PostgreSQL pool.
   */
  raw: { kind: 'sqlite'; sqlite: SQLite.Database } | { kind: 'postgres'; pool: pg.Pool };
  close(): Promise<void>;
}

/**
 * Whether the store answers (`/healthz`), without queueing behind ingest: on SQLite a one-row read on the
 * handle itself (Kysely's only connection may be held by a group's transaction for a while; a read inside it
 * is harmless), on PostgreSQL a round trip on a connection of the pool. Rejects when the store does not answer.
 */
export async function probeStore(store: Pick<Store, 'raw'>): Promise<void> {
  if (store.raw.kind === 'sqlite') {
    store.raw.sqlite.prepare('SELECT 1').get();
    return;
  }
  await store.raw.pool.query('SELECT 1');
}

/**
 * Kysely's SQLite driver prepares every statement anew on every query (a fifth of the ingest CPU in the
 * benchmark profile). The same few SQL texts come back all the time, so keep their prepared statements.
 * Safe because the driver runs one query at a time on this connection.
 */
function withStatementCache(sqlite: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') return Reflect.get(target, prop, receiver);
      return (sql: string) => {
        let stmt = cache.get(sql);
        if (!stmt) {
          stmt = prepare(sql);
          if (cache.size >= max) cache.delete(cache.keys().next().value as string);
          cache.set(sql, stmt);
        }
        return stmt;
      };
    },
  });
}

/**
 * Opens the store and runs the migrations it has not run yet. `migrations` comes from the composition root
 * (`schema-migrations.ts`): the store knows its own tables, not the features'.
 */
export async function openStore(config: StoreConfig, migrations: Record<string, Migration>): Promise<Store> {
  let db: Db;
  let raw: Store['raw'];
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    const sqlite = new SQLite(config.path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    raw = { kind: 'sqlite', sqlite };
  } else {
    const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize ?? 10 });
    // An idle client's error (server restart) must not crash the collector; the pool replaces the client.
    pool.on('error', (err) => {
      process.emitWarning(`postgres pool: ${err.message}`);
    });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    raw = { kind: 'postgres', pool };
  }
  // Features' migrations are independent of each other: a store may have run a later one before an earlier.
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`store migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
  }
  return { db, dialect: config.kind, raw, close: () => db.destroy() };
}
