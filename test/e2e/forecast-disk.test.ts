// End to end with a real filling disk: a 24 MiB tmpfs mounted by the test (root, as in CI), filled at
// 1 MiB/s by a writer process, while the real agent's `filesystem` check reports it every 2 seconds to a real
// collector process. The forecast ticket must open with a predicted time close to when the disk really
// fills, well before the agent's own warning (85 %) opens the threshold ticket; when that one opens, the
// forecast ticket closes, linked to it. About 30 seconds.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../support/packages.js';
import { freePort } from '../support/ports.js';
import { AGENT_CLI, COLLECTOR_CLI, runCli, type Spawned, spawnCli } from '../support/process.js';
import { waitFor } from '../support/wait.js';

const exec = promisify(execFile);
const SIZE_MIB = 24;
const RATE = 1024 * 1024; // bytes per second

/** Writes `rate` bytes a second into `file` until the filesystem is full; prints when it started and filled. */
const WRITER = `
const fs = require('node:fs');
const [file, rate] = [process.argv[1], Number(process.argv[2])];
const fd = fs.openSync(file, 'w');
const chunk = Buffer.alloc(64 * 1024, 1);
const t0 = Date.now();
let written = 0;
console.log(JSON.stringify({ start: t0 }));
const tick = () => {
  const target = (rate * (Date.now() - t0)) / 1000;
  try {
    while (written < target) written += fs.writeSync(fd, chunk, 0, Math.min(chunk.length, Math.ceil(target - written)));
  } catch (err) {
    if (err.code !== 'ENOSPC') throw err;
    console.log(JSON.stringify({ full: Date.now(), written }));
    process.exit(0);
  }
  setTimeout(tick, 50);
};
tick();
`;

interface Ticket {
  id: string;
  checkId: string;
  kind: string;
  status: string;
  priority: string;
  title: string;
  message: string;
  openedAt: string;
}
interface Timeline {
  timeline: Array<{ kind: string; at: string; details: Record<string, unknown> }>;
}

describe('a real filling disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-forecast-disk-'));
  const mnt = join(dir, 'mnt');
  const running: Spawned[] = [];
  let mounted = false;
  let base = '';
  let apiKey = '';
  let writer: ReturnType<typeof execFile> | undefined;

  const api = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const diagnostics = () => running.map((p) => p.output().slice(-2000)).join('\n---\n');

  beforeAll(async () => {
    if (!isRoot()) throw new Error('this test mounts a tmpfs: run it as root (CI does)');
    mkdirSync(mnt);
    await exec('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MIB}m,mode=0755`, 'vigie-forecast', mnt]);
    mounted = true;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const collectorConfig = join(dir, 'collector.yaml');
    writeFileSync(
      collectorConfig,
      `listen: { host: 127.0.0.1, port: ${port} }
dataDir: ${join(dir, 'data')}
forecasts:
  interval: 2s
  rules:
    - { id: fast-disk, type: filesystem, metric: used_percent, check: fs, limit: 100, window: 2m, horizon: 10m, minPoints: 5, minSpan: 7s, label: "{instance} full" }
`,
    );
    const cli = (args: string[]) => runCli(COLLECTOR_CLI, [...args, '--config', collectorConfig]);
    await cli(['tenants', 'add', 'acme']);
    const token = /token:\s+(\S+)/.exec(await cli(['tokens', 'create', '--tenant', 'acme']))?.[1] as string;
    apiKey = /key:\s+(\S+)/.exec(await cli(['keys', 'create', '--name', 'noc']))?.[1] as string;
    running.push(spawnCli(COLLECTOR_CLI, ['serve', '--config', collectorConfig]));
    await waitFor('the collector', async () => (await fetch(`${base}/healthz`)).ok || undefined, {
      timeoutMs: 20_000,
    });
    const agentConfig = join(dir, 'agent.yaml');
    writeFileSync(
      agentConfig,
      `collector: { url: "ws://127.0.0.1:${port}/ingest", token: ${token} }
host: { name: erp-db-01, environment: production, application: erp }
delivery: { flushInterval: 100ms, reconnectMin: 200ms, reconnectMax: 2s, outboxDir: ${join(dir, 'outbox')} }
checks:
  - { id: fs, type: filesystem, schedule: "*/2 * * * * *", timeout: 5s, mounts: ["${mnt}"] }
`,
    );
    running.push(spawnCli(AGENT_CLI, ['run', '--config', agentConfig]));
  });

  afterAll(async () => {
    writer?.kill('SIGKILL');
    await Promise.all(running.map((p) => p.stop()));
    if (mounted) await exec('umount', ['-l', mnt]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens the forecast ticket with the time the disk fills, before the threshold ticket, which then takes over', async () => {
    let out = '';
    writer = execFile(process.execPath, ['-e', WRITER, join(mnt, 'fill.bin'), String(RATE)]);
    writer.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    writer.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const writerDone = new Promise<void>((resolve) => writer?.once('exit', () => resolve()));

    const forecast = await waitFor(
      'the forecast ticket',
      async () => (await api<Ticket[]>('/api/tickets?kind=forecast'))[0],
      { timeoutMs: 25_000, intervalMs: 250 },
    ).catch(async (err: Error) => {
      const forecasts = JSON.stringify(await api('/api/forecasts'));
      throw new Error(`${err.message}\nforecasts: ${forecasts}\nwriter: ${out}\n${diagnostics()}`);
    });
    // Opened while the threshold ticket does not exist yet, and the disk is under the agent's warning level.
    expect(forecast).toMatchObject({ checkId: `forecast:fs:used_percent@${mnt}`, status: 'open' });
    expect(forecast.title.startsWith(`${mnt} full in `)).toBe(true);
    expect(forecast.title).toMatch(/ full in \d+ s on erp-db-01$/);
    const checkTickets = await api<Ticket[]>('/api/tickets?kind=check,flapping');
    expect(checkTickets).toEqual([]);
    const usedAtOpening = Number(/ at ([\d.]+),/.exec(forecast.message)?.[1]);
    expect(usedAtOpening).toBeLessThan(85);
    const opened = await api<Timeline>(`/api/tickets/${forecast.id}`);
    const predictedAt = Date.parse(opened.timeline[0]?.details.predictedAt as string);
    // Under 24 hours in production: P2.
    expect(forecast.priority).toBe('P2');

    // The threshold ticket (the agent's warning at 85 %, confirmed twice) takes over: the forecast ticket
    // closes, linked to it.
    const threshold = await waitFor(
      'the threshold ticket',
      async () => (await api<Ticket[]>('/api/tickets?kind=check')).find((t) => t.checkId === 'fs'),
      { timeoutMs: 40_000, intervalMs: 250 },
    );
    expect(Date.parse(threshold.openedAt)).toBeGreaterThan(Date.parse(forecast.openedAt));
    const closed = await waitFor('the forecast ticket to close', async () => {
      const t = await api<Ticket & Timeline>(`/api/tickets/${forecast.id}`);
      return t.status === 'closed' ? t : undefined;
    });
    expect(closed.timeline.at(-1)).toMatchObject({ kind: 'superseded', details: { by: threshold.id } });
    const linked = await api<Timeline>(`/api/tickets/${threshold.id}`);
    expect(linked.timeline.map((e) => e.kind)).toContain('forecast_linked');

    await writerDone;
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { start?: number; full?: number });
    const start = lines.find((l) => l.start)?.start as number;
    const full = lines.find((l) => l.full)?.full as number;
    expect(full).toBeGreaterThan(start);
    // The prediction made at opening, against the time the writer hit ENOSPC: within 10 % of the time left
    // then, and a 2-second reporting interval.
    const left = full - Date.parse(forecast.openedAt);
    const error = Math.abs(predictedAt - full);
    console.log(
      `[forecast-disk] opened ${((Date.parse(forecast.openedAt) - start) / 1000).toFixed(1)} s after the writer started at ${usedAtOpening} % used; ` +
        `predicted full ${((predictedAt - start) / 1000).toFixed(1)} s, really ${((full - start) / 1000).toFixed(1)} s ` +
        `(error ${(error / 1000).toFixed(1)} s of ${(left / 1000).toFixed(1)} s left); threshold ticket ${((Date.parse(threshold.openedAt) - start) / 1000).toFixed(1)} s`,
    );
    expect(error).toBeLessThan(0.1 * left + 2000);
  });
});
