// Real servers for the integration tests: each one runs from a fresh temporary folder, listens on free
// 127.0.0.1 ports only, logs its stdout/stderr to a file in that folder, and can be stopped, restarted on the
// same port with the same data, and destroyed.
//
// A server object lives in the process that started it: the ones started by global-setup.ts belong to
// vitest's main process and test files reach them only by URL (see env.ts). A test that needs to stop a
// server for a while (outage tests) starts its own instance with startInfluxV1() & co. and destroys it
// in afterAll; each starts in about a second.
//
// Set VIGIE_TEST_KEEP_TMP=1 to keep the temporary folders (data and logs) after destroy() or a failed start.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureBinary, ensureFound, findBinary, isRoot } from './packages.js';
import { freePort } from './ports.js';

/** A server started for the tests. */
export interface RunningServer {
  /** Temporary folder holding the server's data and its log file. */
  readonly dir: string;
  /** The server's stdout/stderr. */
  readonly logFile: string;
  /** Whether the server process is running (between a successful start and stop). */
  isRunning(): boolean;
  /** Stops the server (graceful signal, bounded wait, SIGKILL) and keeps its data folder. Idempotent. */
  stop(): Promise<void>;
  /** Starts the stopped server again, on the same port(s) with the same data; resolves once it answers. */
  start(): Promise<void>;
  /** Stops the server and removes its folder. Idempotent; the server cannot be started again. */
  destroy(): Promise<void>;
}

export interface InfluxV1Server extends RunningServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The database created at start-up: `vigie`. */
  readonly database: string;
}

export interface VictoriaMetricsServer extends RunningServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
}

export interface PostgresServer extends RunningServer {
  /** `postgres://postgres@127.0.0.1:<port>/vigie_test` (or the machine's server, see `external`). */
  readonly url: string;
  readonly port: number;
  readonly database: string;
  /**
   * True when no throwaway server could be started and the machine's PostgreSQL at 127.0.0.1:5432 is used
   * instead: then stop() and start() throw, and destroy() does nothing.
   */
  readonly external: boolean;
}

const LOG_TAIL_LINES = 40;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;
const KILL_TIMEOUT_MS = 5_000;
const POLL_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 2_000;

const keepTmp = (): boolean => process.env.VIGIE_TEST_KEEP_TMP === '1';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `promise` settles within `ms` (the timer is cleared either way, so it keeps no process alive). */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}

async function logTail(logFile: string, lines = LOG_TAIL_LINES): Promise<string> {
  try {
    const text = await readFile(logFile, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(could not read ${logFile}: ${String(error)})`;
  }
}

async function withLogTail(message: string, logFile: string): Promise<Error> {
  return new Error(
    `${message}\n--- last ${LOG_TAIL_LINES} lines of ${logFile} ---\n${await logTail(logFile)}`,
  );
}

function appendLog(logFile: string, line: string): void {
  const fd = openSync(logFile, 'a');
  try {
    writeSync(fd, `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

async function removeDir(dir: string): Promise<void> {
  if (keepTmp()) return;
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** The environment without variables that would reconfigure the servers (influxd reads INFLUXDB_*, ...). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(INFLUXDB_|PG[A-Z]|VM_)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, LC_ALL: 'C', ...extra };
}

// Every server process started here, killed (whole process group) if this process exits without stopping
// them, so that a crashed test run leaves no server behind.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) killGroup(child, 'SIGKILL');
  });
}

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

function describeExit(info: ExitInfo): string {
  if (info.error) return `could not be run: ${info.error.message}`;
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${String(info.code)}`;
}

interface ProcessSpec {
  name: string;
  logFile: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Signal for a graceful stop. */
  stopSignal: NodeJS.Signals;
  /** One readiness probe; must finish within a couple of seconds. */
  isReady: () => Promise<boolean>;
}

/** A long-running server process: start (and wait until it answers), stop, start again. */
class ManagedProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<ExitInfo> | undefined;
  private exitInfo: ExitInfo | undefined;

  constructor(private readonly spec: ProcessSpec) {}

  isRunning(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  async start(): Promise<void> {
    if (this.isRunning()) return;
    const { name, logFile, command, args, cwd, env } = this.spec;
    installExitHook();
    appendLog(logFile, `=== ${new Date().toISOString()} starting: ${command} ${args.join(' ')}`);
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      // Own process group (detached) so that a SIGKILL reaches the server's children too; stdout/stderr
      // go straight to the log file.
      child = spawn(command, args, { cwd, env, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    child.unref();
    this.child = child;
    this.exitInfo = undefined;
    liveChildren.add(child);
    this.exit = new Promise<ExitInfo>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    }).then((info) => {
      this.exitInfo = info;
      liveChildren.delete(child);
      return info;
    });

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exitInfo) {
        throw await withLogTail(`${name} ${describeExit(this.exitInfo)} while starting`, logFile);
      }
      if (await this.spec.isReady().catch(() => false)) return;
      await sleep(POLL_INTERVAL_MS);
    }
    await this.stop();
    throw await withLogTail(`${name} did not answer within ${START_TIMEOUT_MS / 1000} s`, logFile);
  }

  async stop(): Promise<void> {
    const child = this.child;
    const exit = this.exit;
    if (child === undefined || exit === undefined) return;
    if (this.exitInfo === undefined) {
      child.kill(this.spec.stopSignal);
      if (!(await settlesWithin(exit, STOP_TIMEOUT_MS))) {
        appendLog(this.spec.logFile, `=== ${this.spec.name} ignored ${this.spec.stopSignal}: SIGKILL`);
        killGroup(child, 'SIGKILL');
        await settlesWithin(exit, KILL_TIMEOUT_MS);
      }
    }
    // Reap anything left in the process group (normally nothing: the servers stop their own children).
    killGroup(child, 'SIGKILL');
    liveChildren.delete(child);
    this.child = undefined;
    this.exit = undefined;
  }
}

/** Runs a one-shot command with its output appended to logFile; throws (with the log's tail) unless it exits 0. */
async function runToLog(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; timeoutMs: number },
): Promise<void> {
  appendLog(options.logFile, `=== ${new Date().toISOString()} running: ${command} ${args.join(' ')}`);
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const info = await new Promise<ExitInfo>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, error });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  if (info.code !== 0) throw await withLogTail(`${name} ${describeExit(info)}`, options.logFile);
}

function serverHandle(dir: string, logFile: string, proc: ManagedProcess): RunningServer {
  let destroyed = false;
  return {
    dir,
    logFile,
    isRunning: () => proc.isRunning(),
    stop: () => proc.stop(),
    start: async () => {
      if (destroyed) throw new Error(`the server in ${dir} was destroyed`);
      await proc.start();
    },
    destroy: async () => {
      destroyed = true;
      await proc.stop();
      await removeDir(dir);
    },
  };
}

/** Creates a temporary folder, runs `body`, and removes the folder again if `body` throws. */
async function inTempDir<T>(prefix: string, body: (dir: string) => Promise<T>, base = tmpdir()): Promise<T> {
  const dir = await mkdtemp(join(base, prefix));
  try {
    return await body(dir);
  } catch (error) {
    await removeDir(dir).catch(() => undefined);
    throw error;
  }
}

async function httpProbe(
  url: string,
  check: (response: Response, body: string) => boolean,
): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  const body = await response.text();
  return check(response, body);
}

// ---------------------------------------------------------------------------------------------------------
// InfluxDB 1.x (Debian package `influxdb`, 1.6.7~rc0)
//
// Surprises in Debian's influxd 1.6.7:
// - Debian renamed the top-level `reporting-disabled` setting to `reporting-enabled` (default false); unknown
//   keys are ignored silently, so we write both. `influxd config -config FILE` prints the merged config.
// - Without `-config`, influxd reads /etc/influxdb/influxdb.conf; INFLUXDB_* variables override any setting,
//   so they are removed from the server's environment.
// - The RPC (backup/restore) listener `bind-address` cannot be turned off: it gets its own free port.
// - Writes go to the WAL before the HTTP answer (wal-fsync-delay 0s), so data survives stop()/start() and
//   even a SIGKILL.
// ---------------------------------------------------------------------------------------------------------

export const INFLUX_V1_DATABASE = 'vigie';

function influxConfig(dir: string, rpcPort: number, httpPort: number): string {
  return `# Written by test/support/servers.ts
reporting-enabled = false
reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  retention-autocreate = true
  logging-enabled = true

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  wal-fsync-delay = "0s"
  query-log-enabled = false

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false
  https-enabled = false
  unix-socket-enabled = false

[ifql]
  enabled = false

[logging]
  format = "auto"
  level = "info"
  suppress-logo = true

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false
`;
}

/** Result of an InfluxDB 1.x `/query` call. */
export interface InfluxV1QueryResult {
  results?: Array<{
    statement_id?: number;
    error?: string;
    series?: Array<{
      name: string;
      tags?: Record<string, string>;
      columns: string[];
      values: unknown[][];
    }>;
  }>;
  error?: string;
}

/**
 * POSTs an InfluxQL statement to InfluxDB 1.x `/query`; throws on an HTTP error or an `error` in the result.
 * `epoch` defaults to `ms` so that times come back as numbers of milliseconds.
 */
export async function queryInfluxV1(
  url: string,
  q: string,
  options: { db?: string; epoch?: 'ns' | 'u' | 'ms' | 's' } = {},
): Promise<InfluxV1QueryResult> {
  const params = new URLSearchParams({ q, epoch: options.epoch ?? 'ms' });
  if (options.db !== undefined) params.set('db', options.db);
  const response = await fetch(`${url}/query`, {
    method: 'POST',
    body: params,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`InfluxDB ${q}: HTTP ${response.status}: ${text}`);
  const result = JSON.parse(text) as InfluxV1QueryResult;
  const error = result.error ?? result.results?.find((r) => r.error !== undefined)?.error;
  if (error !== undefined) throw new Error(`InfluxDB ${q}: ${error}`);
  return result;
}

/** Starts a throwaway InfluxDB 1.x with an empty database `vigie`. */
export async function startInfluxV1(): Promise<InfluxV1Server> {
  const influxd = await ensureBinary('influxd', 'influxdb');
  return inTempDir('vigie-influxv1-', async (dir) => {
    const rpcPort = await freePort();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const configFile = join(dir, 'influxdb.conf');
    const logFile = join(dir, 'influxd.log');
    await writeFile(configFile, influxConfig(dir, rpcPort, port));
    const proc = new ManagedProcess({
      name: `influxd (${url})`,
      logFile,
      command: influxd,
      args: ['-config', configFile],
      cwd: dir,
      env: cleanEnv(),
      stopSignal: 'SIGTERM',
      isReady: () => httpProbe(`${url}/ping`, (response) => response.status === 204),
    });
    try {
      await proc.start();
      await queryInfluxV1(url, `CREATE DATABASE ${INFLUX_V1_DATABASE}`);
    } catch (error) {
      await proc.stop();
      throw error;
    }
    return { ...serverHandle(dir, logFile, proc), url, port, database: INFLUX_V1_DATABASE };
  });
}

// ---------------------------------------------------------------------------------------------------------
// VictoriaMetrics (Debian package `victoria-metrics`, 1.79.5)
//
// Reading back what was written (checked against 1.79.5, see servers.test.ts):
// - InfluxDB line protocol is accepted on /write, /influx/write, /api/v2/write. A line
//   `cpu,host=a usage=1,idle=2 <ts>` becomes one series per field named `<measurement>_<field>`:
//   `cpu_usage{host="a"}` and `cpu_idle{host="a"}` (-influxMeasurementFieldSeparator, default "_"; no
//   special case for a single field or a field named `value`). Tags become labels as they are.
// - The `db` query argument adds the label `db="<db>"` (-influxDBLabel) on every endpoint, including
//   /api/v2/write?db=...; 1.79 IGNORES `org` and `bucket`: `/api/v2/write?org=x&bucket=vigie` adds no label.
// - Timestamps are cut to milliseconds (-influxTrimTimestamp=1ms); a line without one gets the server's time.
//   Integer, float and boolean (1/0) fields become float values; string fields are NOT dropped: they are
//   parsed as numbers, `s="12"` gives 12 and `s="text"` gives 0.
// - /api/v1/export?match[]=<selector> answers JSON lines `{"metric":{"__name__":...,labels},"values":[...],
//   "timestamps":[ms...]}`, over all time up to now (pass start/end otherwise; future points are left out).
// - Freshly written samples are not searchable at once: rows are buffered and move to searchable parts about
//   every second, and search results for a label filter are cached. Without help a new series showed up after
//   about 5 s. `GET /internal/force_flush` (present in 1.79; -forceFlushAuthKey unset) flushes the buffers and
//   the caches, but only what has reached them: a flush right after the write is not enough, a flush ~1 s later
//   is. So poll: flush + export every 200 ms until the data is there (waitForVictoriaExport below): it takes
//   0.5 to 1.5 s.
// - We start it with -search.latencyOffset=0s (default 1m: /api/v1/query and query_range hide the last minute
//   as possibly incomplete) and -search.disableCache (no stale query_range answers between test steps). These
//   differ from a production VictoriaMetrics, which keeps the defaults.
// ---------------------------------------------------------------------------------------------------------

/** One series of `/api/v1/export` output. */
export interface VictoriaExportSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** `GET /internal/force_flush`: moves buffered samples to searchable storage and resets the search caches. */
export async function flushVictoria(url: string): Promise<void> {
  const response = await fetch(`${url}/internal/force_flush`, { signal: AbortSignal.timeout(10_000) });
  await response.text();
  if (!response.ok) throw new Error(`VictoriaMetrics force_flush: HTTP ${response.status}`);
}

/**
 * Force-flushes, then reads `/api/v1/export?match[]=<match>` (a series selector such as `cpu_usage` or
 * `{__name__=~"cpu_.*",db="vigie"}`) and parses its JSON lines. Data written less than about a second ago may
 * still be missing: use waitForVictoriaExport to wait for it.
 */
export async function queryVictoriaExport(url: string, match: string): Promise<VictoriaExportSeries[]> {
  await flushVictoria(url);
  const params = new URLSearchParams();
  params.append('match[]', match);
  const response = await fetch(`${url}/api/v1/export?${params.toString()}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`VictoriaMetrics export ${match}: HTTP ${response.status}: ${text}`);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as VictoriaExportSeries);
}

/**
 * Polls queryVictoriaExport (flush + export every 200 ms) until `done` accepts the series (by default: at
 * least one), for at most `timeoutMs`; then returns the last answer, even if `done` never accepted it.
 */
export async function waitForVictoriaExport(
  url: string,
  match: string,
  done: (series: VictoriaExportSeries[]) => boolean = (series) => series.length > 0,
  timeoutMs = 10_000,
): Promise<VictoriaExportSeries[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const series = await queryVictoriaExport(url, match);
    if (done(series) || Date.now() >= deadline) return series;
    await sleep(200);
  }
}

/** Starts a throwaway VictoriaMetrics (single node) with an empty storage. */
export async function startVictoriaMetrics(): Promise<VictoriaMetricsServer> {
  const binary = await ensureBinary('victoria-metrics', 'victoria-metrics');
  return inTempDir('vigie-vm-', async (dir) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const logFile = join(dir, 'victoria-metrics.log');
    const proc = new ManagedProcess({
      name: `victoria-metrics (${url})`,
      logFile,
      command: binary,
      args: [
        `-storageDataPath=${join(dir, 'data')}`,
        `-httpListenAddr=127.0.0.1:${port}`,
        '-retentionPeriod=100y',
        '-search.latencyOffset=0s',
        '-search.disableCache',
        // The other listeners are off unless given an address; keep them so explicitly.
        '-graphiteListenAddr=',
        '-influxListenAddr=',
        '-opentsdbListenAddr=',
        '-opentsdbHTTPListenAddr=',
        '-selfScrapeInterval=0s',
        '-loggerOutput=stderr',
      ],
      cwd: dir,
      env: cleanEnv(),
      stopSignal: 'SIGTERM',
      isReady: () =>
        httpProbe(`${url}/health`, (response, body) => response.status === 200 && body.trim() === 'OK'),
    });
    await proc.start();
    return { ...serverHandle(dir, logFile, proc), url, port };
  });
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL (Debian package `postgresql`): a throwaway cluster made by initdb, trust auth, fsync off.
// As root, initdb and postgres refuse to run: they run as the `postgres` OS user through `setpriv` (which
// execs, so the server's pid is the postmaster's own and signals reach it; runuser/su would fork and kill it
// 2 s after forwarding a signal). stop() sends SIGINT, PostgreSQL's "fast" shutdown: SIGTERM ("smart") would
// wait for every open client connection to close.
// ---------------------------------------------------------------------------------------------------------

export const POSTGRES_TEST_DATABASE = 'vigie_test';
const EXTERNAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

interface PostgresBin {
  initdb: string;
  postgres: string;
}

async function findPostgresBin(): Promise<PostgresBin | undefined> {
  let versions: string[];
  try {
    versions = await readdir('/usr/lib/postgresql');
  } catch {
    return undefined;
  }
  const sorted = versions.filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const version of sorted) {
    const bin = join('/usr/lib/postgresql', version, 'bin');
    const initdb = await findBinary(join(bin, 'initdb'));
    const postgres = await findBinary(join(bin, 'postgres'));
    if (initdb !== undefined && postgres !== undefined) return { initdb, postgres };
  }
  return undefined;
}

async function osUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

async function withPgClient<T>(config: pg.ClientConfig, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: 10_000,
    ...config,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startThrowawayPostgres(): Promise<PostgresServer> {
  const bin = await ensureFound(
    findPostgresBin,
    'postgresql',
    'PostgreSQL (initdb and postgres under /usr/lib/postgresql/*/bin)',
  );
  let asUser: { uid: number; gid: number } | undefined;
  if (isRoot()) {
    asUser = await osUser('postgres');
    if (asUser === undefined) throw new Error('running as root and there is no "postgres" OS user');
  }
  const setpriv = asUser ? await ensureBinary('setpriv', 'util-linux') : undefined;
  const command = (program: string, args: string[]): [string, string[]] =>
    setpriv && asUser
      ? [
          setpriv,
          [`--reuid=${asUser.uid}`, `--regid=${asUser.gid}`, '--clear-groups', '--', program, ...args],
        ]
      : [program, args];

  // The postgres user must be able to reach the folder: as root, make it under /tmp, whatever TMPDIR says.
  const base = asUser ? '/tmp' : tmpdir();
  return inTempDir(
    'vigie-pg-',
    async (dir) => {
      const dataDir = join(dir, 'data');
      const logFile = join(dir, 'postgres.log');
      await mkdir(dataDir, { mode: 0o700 });
      await writeFile(logFile, '');
      if (asUser) {
        for (const path of [dir, dataDir, logFile]) await chown(path, asUser.uid, asUser.gid);
      }
      const env = cleanEnv();
      const [initdbCommand, initdbArgs] = command(bin.initdb, [
        '-D',
        dataDir,
        '-A',
        'trust',
        '-U',
        'postgres',
        '--no-sync',
        '-E',
        'UTF8',
        '--locale=C',
      ]);
      await runToLog('initdb', initdbCommand, initdbArgs, { cwd: dir, env, logFile, timeoutMs: 120_000 });

      const port = await freePort();
      const clientConfig = { host: '127.0.0.1', port, user: 'postgres' };
      const [postgresCommand, postgresArgs] = command(bin.postgres, [
        '-D',
        dataDir,
        '-k',
        dir,
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-F',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ]);
      const proc = new ManagedProcess({
        name: `postgres (127.0.0.1:${port})`,
        logFile,
        command: postgresCommand,
        args: postgresArgs,
        cwd: dir,
        env,
        stopSignal: 'SIGINT',
        isReady: () =>
          withPgClient({ ...clientConfig, database: 'postgres' }, async (client) => {
            await client.query('select 1');
            return true;
          }),
      });
      try {
        await proc.start();
        await withPgClient({ ...clientConfig, database: 'postgres' }, (client) =>
          client.query(`CREATE DATABASE ${POSTGRES_TEST_DATABASE}`),
        );
      } catch (error) {
        await proc.stop();
        throw error;
      }
      return {
        ...serverHandle(dir, logFile, proc),
        url: `postgres://postgres@127.0.0.1:${port}/${POSTGRES_TEST_DATABASE}`,
        port,
        database: POSTGRES_TEST_DATABASE,
        external: false,
      };
    },
    base,
  );
}

async function externalPostgres(): Promise<PostgresServer> {
  await withPgClient({ connectionString: EXTERNAL_POSTGRES_URL }, (client) => client.query('select 1'));
  const refuse = (): Promise<void> =>
    Promise.reject(new Error("the machine's PostgreSQL is in use: it cannot be stopped or started"));
  return {
    dir: '',
    logFile: '',
    isRunning: () => true,
    stop: refuse,
    start: refuse,
    destroy: async () => undefined,
    url: EXTERNAL_POSTGRES_URL,
    port: 5432,
    database: 'test',
    external: true,
  };
}

/**
 * Starts a throwaway PostgreSQL with an empty database `vigie_test`. When that fails (no PostgreSQL
 * programs, no way to run them, ...), uses the machine's PostgreSQL at 127.0.0.1:5432 (database `test`,
 * trust auth) if it answers, and logs a line saying so; otherwise throws the original error.
 */
export async function startPostgres(): Promise<PostgresServer> {
  try {
    return await startThrowawayPostgres();
  } catch (error) {
    try {
      const server = await externalPostgres();
      console.warn(
        `[vigie test servers] could not start a throwaway PostgreSQL, using the machine's at ${EXTERNAL_POSTGRES_URL}: ${
          error instanceof Error ? error.message.split('\n')[0] : String(error)
        }`,
      );
      return server;
    } catch {
      throw error;
    }
  }
}
