// A throwaway InfluxDB 1.x (Debian package `influxdb`, /usr/bin/influxd) for the benchmarks, started the way
// test/support/servers.ts does it: fresh folder, 127.0.0.1 only, WAL written before each answer
// (wal-fsync-delay 0s), no reporting, no internal monitor store.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, makeTempDir, onCleanup, removeTempDir, startProcess, waitUntil, which } from './proc.mjs';

function config(/** @type {string} */ dir, /** @type {number} */ rpcPort, /** @type {number} */ httpPort) {
  return `# Written by bench/lib/influx.mjs
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
  level = "warn"
`;
}

/** Runs an InfluxQL statement through /query; throws on an error. */
export async function influxQuery(/** @type {string} */ url, /** @type {string} */ q) {
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok || /"error"/.test(text)) throw new Error(`InfluxDB ${q}: HTTP ${res.status}: ${text}`);
  return text;
}

/**
 * Starts influxd; resolves once /ping answers.
 * @returns {Promise<{ url: string; pid: number; dir: string; createDatabase(name: string): Promise<void>; stop(): Promise<void> }>}
 */
export async function startInfluxV1() {
  const influxd = which('influxd');
  if (!influxd)
    throw new Error('influxd not found: install the Debian package `influxdb` (apt-get install influxdb)');
  const dir = makeTempDir('vigie-bench-influx-');
  const rpcPort = await freePort();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'influxdb.conf');
  const logFile = join(dir, 'influxd.log');
  writeFileSync(configFile, config(dir, rpcPort, port));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUXDB_')));
  const proc = startProcess({
    name: 'influxd',
    command: influxd,
    args: ['-config', configFile],
    cwd: dir,
    env,
    logFile,
  });
  const stop = async () => {
    await proc.stop('SIGTERM', 20_000);
    removeTempDir(dir);
  };
  onCleanup(stop);
  try {
    await waitUntil(
      `influxd (${url})`,
      async () => {
        const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) });
        return res.status === 204;
      },
      { timeoutMs: 30_000, alive: proc.isRunning, logFile },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    pid: proc.pid,
    dir,
    async createDatabase(name) {
      await influxQuery(url, `CREATE DATABASE ${name}`);
    },
    stop,
  };
}
