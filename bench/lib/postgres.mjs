// A throwaway PostgreSQL (Debian package `postgresql`) for the benchmarks: initdb in a fresh folder, trust
// auth, 127.0.0.1 only. As root, initdb and postgres refuse to run, so they run as the `postgres` OS user
// through setpriv (which execs: the pid is the postmaster's own), as test/support/servers.ts does.
// Unlike the test starter, durability settings are PostgreSQL's defaults (fsync on, synchronous_commit on):
// a benchmark of the collector's store must pay for commits like a production server does.
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import {
  freePort,
  isRoot,
  makeTempDir,
  onCleanup,
  removeTempDir,
  runToCompletion,
  startProcess,
  waitUntil,
} from './proc.mjs';

function findBin() {
  let versions = [];
  try {
    versions = readdirSync('/usr/lib/postgresql');
  } catch {
    return undefined;
  }
  for (const v of versions.filter((x) => /^\d+$/.test(x)).sort((a, b) => Number(b) - Number(a))) {
    const bin = join('/usr/lib/postgresql', v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) {
      return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres'), version: v };
    }
  }
  return undefined;
}

function osUser(/** @type {string} */ name) {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** Runs `body` with a connected client; always closes it. */
async function withClient(
  /** @type {pg.ClientConfig} */ config,
  /** @type {(c: pg.Client) => Promise<unknown>} */ body,
) {
  const client = new pg.Client({ connectionTimeoutMillis: 2000, query_timeout: 30_000, ...config });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts a PostgreSQL server; resolves once it accepts queries.
 * @returns {Promise<{ port: number; pid: number; version: string; dir: string; createDatabase(name: string): Promise<string>; stop(): Promise<void> }>}
 */
export async function startPostgres() {
  const bin = findBin();
  if (!bin)
    throw new Error('PostgreSQL not found under /usr/lib/postgresql/*/bin: apt-get install postgresql');
  const user = isRoot() ? osUser('postgres') : undefined;
  if (isRoot() && !user) throw new Error('running as root and there is no "postgres" OS user');
  // The postgres user must reach the folder: under /tmp, whatever TMPDIR says.
  const dir = makeTempDir('vigie-bench-pg-', user ? '/tmp' : undefined);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  mkdirSync(dataDir, { mode: 0o700 });
  writeFileSync(logFile, '');
  if (user) for (const p of [dir, dataDir, logFile]) chownSync(p, user.uid, user.gid);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^PG[A-Z]/.test(k)));
  env.LC_ALL = 'C';
  await runToCompletion(
    'initdb',
    bin.initdb,
    ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { cwd: dir, env, logFile, timeoutMs: 120_000, user },
  );
  const port = await freePort();
  const proc = startProcess({
    name: 'postgres',
    command: bin.postgres,
    args: ['-D', dataDir, '-k', dir, '-h', '127.0.0.1', '-p', String(port)],
    cwd: dir,
    env,
    logFile,
    user,
  });
  // SIGINT is PostgreSQL's "fast" shutdown (SIGTERM would wait for every client to leave).
  const stop = async () => {
    await proc.stop('SIGINT', 20_000);
    removeTempDir(dir);
  };
  onCleanup(stop);
  const admin = { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' };
  try {
    await waitUntil(
      `postgres (127.0.0.1:${port})`,
      async () => {
        await withClient(admin, (c) => c.query('select 1'));
        return true;
      },
      { timeoutMs: 30_000, alive: proc.isRunning, logFile },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    pid: proc.pid,
    version: bin.version,
    dir,
    async createDatabase(name) {
      await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}
