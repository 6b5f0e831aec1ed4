#!/usr/bin/env node
// Agent footprint: the agent with its default checks on a fast schedule, as the dev build (node dist/cli.js) and
// as the packaged single executable (`npm run package`), against a bare `node` process (memory floor) and
// Debian's prometheus-node-exporter scraped at the same rate (a peer's CPU per collection). Also the time from
// process start to the first result at the collector. Prints a table and writes
// bench/results/agent-footprint-<time>.json. Options:
//   --seconds 60     how long each process is measured
//   --interval 5     seconds between rounds (the default config runs every minute; rounds are sped up to measure)
//   --exe FILE       the packaged executable (default: the one `npm run package` left in packages/agent/packaging/out)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { parse, stringify } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    interval: { type: 'string', default: '5' },
    exe: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const interval = Number(values.interval);
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const tmp = mkdtempSync(join(tmpdir(), 'vigie-footprint-'));
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function procSample(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICK; // utime + stime
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuSeconds, rssKb };
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let err = '';
  child.stderr.on('data', (d) => {
    err = (err + d.toString()).slice(-4000);
  });
  child.on('exit', () => children.delete(child));
  return { child, stderr: () => err };
}

/** A minimal collector: welcome, ack everything, count bytes per frame type. Runs in this process. */
async function fakeCollector() {
  const port = await freePort();
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  const stats = {
    bytes: 0,
    resultBytes: 0,
    results: 0,
    frames: 0,
    byCheck: new Map(),
    firstResultAt: undefined,
  };
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const text = data.toString();
      stats.bytes += Buffer.byteLength(text);
      stats.frames++;
      const m = JSON.parse(text);
      if (m.type === 'hello') {
        ws.send(
          JSON.stringify({
            v: 1,
            type: 'welcome',
            sessionId: 's',
            tenant: 't',
            limits: { maxBatch: 1000, maxFrameBytes: 1 << 20 },
            heartbeatMs: 30000,
          }),
        );
        return;
      }
      const id = m.batchId ?? m.snapshotId ?? m.eventId;
      if (m.type === 'results') {
        stats.resultBytes += Buffer.byteLength(text);
        stats.results += m.results.length;
        stats.firstResultAt ??= performance.now();
        for (const r of m.results) stats.byCheck.set(r.checkId, (stats.byCheck.get(r.checkId) ?? 0) + 1);
      }
      ws.send(JSON.stringify({ v: 1, type: 'ack', batchId: id, accepted: 1, duplicates: 0 }));
    });
  });
  return { url: `ws://127.0.0.1:${port}/ingest`, stats, close: () => new Promise((r) => wss.close(r)) };
}

async function measure(pid, ms) {
  const rss = [];
  const first = procSample(pid);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await sleep(1000);
    rss.push(procSample(pid).rssKb);
  }
  const last = procSample(pid);
  rss.sort((a, b) => a - b);
  return {
    cpuSeconds: last.cpuSeconds - first.cpuSeconds,
    rssMedianKb: rss[Math.floor(rss.length / 2)],
    rssMaxKb: rss.at(-1),
  };
}

// 1. the agent, as the dev build and as the packaged executable
const { DEFAULT_CONFIG_YAML } = await import(join(root, 'packages/agent/dist/config/default.js'));
const { AGENT_VERSION } = await import(join(root, 'packages/agent/dist/version.js'));
const packagedExe =
  values.exe ?? join(root, `packages/agent/packaging/out/vigie-agent-${AGENT_VERSION}-linux-x64`);

// The packaged agent runs with the environment its systemd unit gives it (NODE_OPTIONS), as installed.
const unitEnv = Object.fromEntries(
  [
    ...readFileSync(join(root, 'packages/agent/systemd/vigie-agent.service'), 'utf8').matchAll(
      /^Environment=(NODE_OPTIONS)=(.*)$/gm,
    ),
  ].map((m) => [m[1], m[2]]),
);

async function measureAgent(label, command, args, env = {}) {
  const collector = await fakeCollector();
  const config = parse(DEFAULT_CONFIG_YAML);
  // Checks that run every minute by default run every `interval` seconds here; the rarer ones (updates, accounts,
  // the fingerprint...) keep their schedule: they run once at start, before the measurement.
  const everyMinute = (schedule) => /^\S+ \* \* \* \* \*$/.test(schedule);
  for (const c of config.checks) if (everyMinute(c.schedule)) c.schedule = `*/${interval} * * * * *`;
  const checkIds = config.checks.filter((c) => c.schedule.startsWith(`*/${interval} `)).map((c) => c.id);
  config.collector = { url: collector.url, token: 'vga_benchmark-token' };
  config.delivery = { outboxDir: join(tmp, label, 'outbox') };
  mkdirSync(join(tmp, label), { recursive: true });
  writeFileSync(join(tmp, label, 'agent.yaml'), stringify(config));
  const t0 = performance.now();
  const agent = start(command, [...args, 'run', '--config', join(tmp, label, 'agent.yaml')], {
    VIGIE_LOG_LEVEL: 'warn',
    ...env,
  });
  await sleep(15000); // start-up and the first round (every check runs once at start, updates included)
  const firstResultMs =
    collector.stats.firstResultAt === undefined ? null : collector.stats.firstResultAt - t0;
  const fastCount = () => checkIds.reduce((n, id) => n + (collector.stats.byCheck.get(id) ?? 0), 0);
  const startResults = fastCount();
  const startBytes = collector.stats.bytes;
  const m = await measure(agent.child.pid, seconds * 1000);
  const rounds = Math.max(1, Math.round((fastCount() - startResults) / checkIds.length));
  const bytes = collector.stats.bytes - startBytes;
  agent.child.kill('SIGTERM');
  await collector.close();
  const cpuPerRound = m.cpuSeconds / rounds;
  return {
    checkIds,
    rounds,
    firstResultMs,
    cpuSecondsPerRound: cpuPerRound,
    rssMedianKb: m.rssMedianKb,
    rssMaxKb: m.rssMaxKb,
    bytesSentPerRound: Math.round(bytes / rounds),
    // At the default one-minute schedule, one round a minute:
    percentOfOneCoreAtOneMinute: (cpuPerRound / 60) * 100,
  };
}

const agentM = await measureAgent('dev', process.execPath, [join(root, 'packages/agent/dist/cli.js')]);
const checkIds = agentM.checkIds;
let packagedM = { available: false, reason: `${packagedExe} not found: run npm run package first` };
if (existsSync(packagedExe))
  packagedM = { available: true, ...(await measureAgent('packaged', packagedExe, [])) };

// 2. the floor: a bare node process
const bare = start(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
await sleep(1000);
const bareM = await measure(bare.child.pid, Math.min(10, seconds) * 1000);
bare.child.kill('SIGKILL');

// 3. the peer: prometheus-node-exporter scraped every `interval` seconds
let exporter = { available: false };
try {
  execFileSync('sh', ['-c', 'command -v prometheus-node-exporter']);
  const port = await freePort();
  const ne = start('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`]);
  await sleep(1500);
  let scrapes = 0;
  let bytes = 0;
  const pid = ne.child.pid;
  const first = procSample(pid);
  const rss = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    bytes += Buffer.byteLength(body);
    scrapes++;
    rss.push(procSample(pid).rssKb);
    await sleep(interval * 1000);
  }
  const last = procSample(pid);
  rss.sort((a, b) => a - b);
  exporter = {
    available: true,
    scrapes,
    cpuSecondsPerScrape: (last.cpuSeconds - first.cpuSeconds) / scrapes,
    rssMedianKb: rss[Math.floor(rss.length / 2)],
    bytesPerScrape: Math.round(bytes / scrapes),
  };
  ne.child.kill('SIGTERM');
} catch (err) {
  exporter = {
    available: false,
    reason: `prometheus-node-exporter not runnable (apt-get install prometheus-node-exporter): ${err.message}`,
  };
}

const overBare = (kb) => (kb - bareM.rssMedianKb) / 1024;
const { checkIds: _ids, ...agentFigures } = agentM;
const packagedFigures = packagedM.available ? (({ checkIds: _x, ...rest }) => rest)(packagedM) : packagedM;
const result = {
  at: new Date().toISOString(),
  seconds,
  intervalSeconds: interval,
  checks: checkIds,
  agent: agentFigures,
  packaged: packagedFigures,
  bareNode: { rssMedianKb: bareM.rssMedianKb },
  nodeExporter: exporter,
  ratios: {
    agentRssOverBareNodeMb: overBare(agentM.rssMedianKb),
    packagedRssOverBareNodeMb: packagedM.available ? overBare(packagedM.rssMedianKb) : null,
    agentCpuPerRoundOverExporterCpuPerScrape: exporter.available
      ? agentM.cpuSecondsPerRound / exporter.cpuSecondsPerScrape
      : null,
  },
  targets: {
    rssWithin20MbOfBareNode: overBare(agentM.rssMedianKb) <= 20,
    packagedRssWithin20MbOfBareNode: packagedM.available ? overBare(packagedM.rssMedianKb) <= 20 : null,
    firstResultUnderOneSecond: agentM.firstResultMs !== null && agentM.firstResultMs < 1000,
    packagedFirstResultUnderOneSecond: packagedM.available ? packagedM.firstResultMs < 1000 : null,
    underOnePercentOfACore: agentM.percentOfOneCoreAtOneMinute < 1,
  },
};
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
const line = (m) =>
  `RSS median ${mb(m.rssMedianKb)} (max ${mb(m.rssMaxKb)}, +${overBare(m.rssMedianKb).toFixed(1)} MB over bare node)   CPU ${(m.cpuSecondsPerRound * 1000).toFixed(1)} ms/round   ${m.bytesSentPerRound} bytes/round   first result ${m.firstResultMs?.toFixed(0)} ms   (${m.rounds} rounds)`;
console.log(`
Agent footprint (${checkIds.length} default checks: ${checkIds.join(', ')}; a round every ${interval} s for ${seconds} s)
  dev build    ${line(agentM)}
  packaged     ${packagedM.available ? `${line(packagedM)}   (env of the unit: ${JSON.stringify(unitEnv)})` : packagedM.reason}
  bare node    RSS median ${mb(bareM.rssMedianKb)}
  node-exporter${exporter.available ? ` RSS median ${mb(exporter.rssMedianKb)}   CPU ${(exporter.cpuSecondsPerScrape * 1000).toFixed(1)} ms/scrape   ${exporter.bytesPerScrape} bytes/scrape` : ` ${exporter.reason}`}
  target: RSS <= bare node + 20 MB, first result < 1 s
  agent CPU at a one-minute schedule: ${agentM.percentOfOneCoreAtOneMinute.toFixed(3)} % of one core (target < 1 %)
  agent CPU per round / exporter CPU per scrape: ${result.ratios.agentCpuPerRoundOverExporterCpuPerScrape?.toFixed(2) ?? 'n/a'}
`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
const out = join(root, 'bench/results', `agent-footprint-${result.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`written ${out}`);
process.exit(0);
