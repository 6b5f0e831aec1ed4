#!/usr/bin/env node
// Ingest benchmark: how many results per second the collector handles with N agents connected, how fast it
// acks, how long a failing result takes to become a visible ticket, and how much memory each connected agent
// costs; next to a "ceiling": a bare `ws` server that only JSON.parses each batch, under the same load.
//
//   node bench/ingest/run.mjs [--agents 100,1000] [--seconds 10] [--sink embedded|influx] [--store sqlite|postgres]
//                             [--failing-share 0.1] [--batch 50] [--workers N] [--cpu-prof] [--no-ceiling]
//                             [--collectors K]
//
// For each N: the collector runs as its own process (packages/collector/dist/cli.js serve, built by
// `npm run build`) on a free 127.0.0.1 port, on a fresh store with one tenant, N agent tokens (inserted
// through the collector's own store functions before it starts) and a provider API key; the rate limit and
// heartbeat are raised out of the way. Simulated agents (bench/ingest/agent-worker.mjs, --workers processes
// sharing the N connections) connect, say hello, then each keeps one batch in flight, sending the next as
// soon as the ack comes. A poller asks GET /api/tickets?status=open&sort=openedAt&order=desc&limit=200 (the newest) every --poll-ms and notes when
// each ticket first shows up. Then bench/ingest/ceiling-server.mjs gets the same agents and load.
//
// Reported: results/s over the steady part (after --warmup s), ack latency (send -> ack) p50/p99, failing
// result -> visible ticket p50/p99 (for the tickets opened under steady load), the server's resident memory
// before any agent, with N agents connected and idle, and under load (KiB per agent), CPU use of the server,
// the load generators and the machine. The figures are printed as a table and written to
// bench/results/ingest-<timestamp>.json. Everything runs on 127.0.0.1, within a time bound; every process and
// temporary folder is removed at the end, also on error or Ctrl-C (VIGIE_BENCH_KEEP_TMP=1 keeps the folders).
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printProfileSummary, summariseProfile } from '../lib/cpuprofile.mjs';
import { startInfluxV1 } from '../lib/influx.mjs';
import { startPostgres } from '../lib/postgres.mjs';
import {
  cpuSeconds,
  freePort,
  httpStatusIs,
  logTail,
  machineCpu,
  makeTempDir,
  nofileFor,
  nofileLimits,
  removeTempDir,
  rssKiB,
  runCleanups,
  sleep,
  startProcess,
  treeCpuSeconds,
  waitUntil,
} from '../lib/proc.mjs';
import { Histogram, median, round } from '../lib/stats.mjs';
import { fmt, table } from '../lib/table.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const COLLECTOR_CLI = join(ROOT, 'packages/collector/dist/cli.js');
const WORKER = join(HERE, 'agent-worker.mjs');
const CEILING = join(HERE, 'ceiling-server.mjs');
const RESULTS_DIR = join(ROOT, 'bench/results');
const TENANT = 'bench';

const USAGE = `usage: node bench/ingest/run.mjs [options]
  --agents LIST          agent counts, one run each (default 100,1000)
  --seconds S            sending time per run (default 10)
  --warmup S             first seconds left out of the figures (default 2)
  --sink KIND            embedded | influx (InfluxDB 1.x, Debian package influxdb) (default embedded)
  --store KIND           sqlite | postgres (throwaway PostgreSQL, Debian package postgresql) (default sqlite)
  --collectors K         collector processes on the one PostgreSQL (needs --store postgres); agent i goes to
                         collector i mod K, as a load balancer would spread them (default 1)
  --failing-share F      share of results that are critical (default 0.1)
  --batch N              results per batch (default 50)
  --checks N             check ids per agent (default 10)
  --interval MS          least time between two batches of one agent (default 0: as fast as the acks allow;
                         paced agents start spread over one interval)
  --workers N            load generator processes (default: min(4, CPUs))
  --poll-ms MS           ticket poll interval (default 100; 0: no poller)
  --connect-concurrency N  handshakes in progress per worker (default 50)
  --quiet-wait S         before each run, wait up to S seconds for other processes to leave the CPU idle
                         (a shared machine skews the figures; default 60; 0: do not wait)
  --no-ceiling           skip the bare ws server runs
  --cpu-prof             profile the collector (node --cpu-prof); the profile goes next to the JSON
  --out FILE             JSON report (default bench/results/ingest-<timestamp>.json)
`;

function options() {
  const { values } = parseArgs({
    options: {
      agents: { type: 'string', default: '100,1000' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      sink: { type: 'string', default: 'embedded' },
      store: { type: 'string', default: 'sqlite' },
      collectors: { type: 'string', default: '1' },
      'failing-share': { type: 'string', default: '0.1' },
      batch: { type: 'string', default: '50' },
      checks: { type: 'string', default: '10' },
      interval: { type: 'string', default: '0' },
      workers: { type: 'string', default: String(Math.min(4, availableParallelism())) },
      'poll-ms': { type: 'string', default: '100' },
      'connect-concurrency': { type: 'string', default: '50' },
      'quiet-wait': { type: 'string', default: '60' },
      'no-ceiling': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const num = (/** @type {string} */ name, /** @type {string} */ v, min = 0) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: expected a number >= ${min}, got "${v}"`);
    return n;
  };
  const agents = values.agents.split(',').map((s) => Math.round(num('agents', s.trim(), 1)));
  const o = {
    agents,
    seconds: num('seconds', values.seconds, 3),
    warmup: num('warmup', values.warmup, 0),
    sink: values.sink,
    store: values.store,
    collectors: Math.round(num('collectors', values.collectors, 1)),
    failingShare: num('failing-share', values['failing-share'], 0),
    batch: Math.round(num('batch', values.batch, 1)),
    checks: Math.round(num('checks', values.checks, 1)),
    intervalMs: num('interval', values.interval, 0),
    workers: Math.round(num('workers', values.workers, 1)),
    pollMs: num('poll-ms', values['poll-ms'], 0),
    connectConcurrency: Math.round(num('connect-concurrency', values['connect-concurrency'], 1)),
    quietWait: num('quiet-wait', values['quiet-wait'], 0),
    ceiling: !values['no-ceiling'],
    cpuProf: values['cpu-prof'],
    out: values.out,
    failingChecks: 0,
  };
  if (o.sink !== 'embedded' && o.sink !== 'influx') throw new Error('--sink: embedded or influx');
  if (o.store !== 'sqlite' && o.store !== 'postgres') throw new Error('--store: sqlite or postgres');
  if (o.collectors > 1 && o.store !== 'postgres')
    throw new Error('--collectors: several collectors share one PostgreSQL (add --store postgres)');
  if (o.warmup >= o.seconds) throw new Error('--warmup must be shorter than --seconds');
  if (o.batch > 1000) throw new Error('--batch: at most 1000 (the collector maxBatch set here)');
  // Failing checks: a share of the check ids (rounded), at least one when the share is above 0; the onset
  // moves the failure to as many other checks, so at most half of them can fail.
  o.failingChecks = o.failingShare > 0 ? Math.max(1, Math.round(o.failingShare * o.checks)) : 0;
  if (o.failingChecks * 2 > o.checks)
    throw new Error('--failing-share: at most 0.5 (see the onset in agent-worker.mjs)');
  return o;
}

/** @typedef {ReturnType<typeof options>} Options */

const log = (/** @type {string} */ msg) =>
  process.stderr.write(`[ingest ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------------------------------------------------
// Load generator workers
// ---------------------------------------------------------------------------------------------------------

class Worker {
  /** @param {import('../lib/proc.mjs').Managed} proc */
  constructor(proc) {
    this.proc = proc;
    /** @type {Map<string, Array<(m: Record<string, unknown>) => void>>} */
    this.waiters = new Map();
    /** @type {(m: Record<string, unknown>) => void} */
    this.onTick = () => undefined;
    proc.child.on('message', (/** @type {Record<string, unknown>} */ m) => {
      if (m.type === 'tick') return this.onTick(m);
      if (m.type === 'failed') log(`worker ${proc.pid} failed: ${String(m.error)}`);
      const list = this.waiters.get(String(m.type)) ?? [];
      this.waiters.delete(String(m.type));
      for (const w of list) w(m);
    });
  }

  send(/** @type {object} */ msg) {
    this.proc.child.send(msg);
  }

  /** Resolves with the next message of this type; rejects after timeoutMs or if the worker dies. */
  next(/** @type {string} */ type, /** @type {number} */ timeoutMs) {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker ${this.proc.pid}: no "${type}" within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      const list = this.waiters.get(type) ?? [];
      list.push((m) => {
        clearTimeout(timer);
        resolvePromise(m);
      });
      this.waiters.set(type, list);
      this.proc.exited.then((info) => {
        clearTimeout(timer);
        reject(new Error(`worker ${this.proc.pid} exited (${info.signal ?? info.code})`));
      });
    });
  }
}

async function startWorkers(/** @type {number} */ count, /** @type {number} */ maxAgents) {
  const nofile = nofileFor(Math.ceil(maxAgents / count) + 512);
  const workers = [];
  for (let i = 0; i < count; i++) {
    const proc = startProcess({
      name: `agent-worker-${i}`,
      command: process.execPath,
      args: [WORKER],
      cwd: ROOT,
      nofile,
      ipc: true,
    });
    const w = new Worker(proc);
    workers.push(w);
  }
  await Promise.all(workers.map((w) => w.next('ready', 20_000)));
  return workers;
}

/**
 * Waits (up to maxS seconds) until the machine is nearly idle over a 1-second look: below 30% of one core
 * busy. Other people's builds and tests on a shared machine take CPU from the server under test.
 */
async function waitForQuiet(/** @type {number} */ maxS) {
  const started = Date.now();
  let busy = 0;
  for (;;) {
    const a = machineCpu();
    await sleep(1000);
    const b = machineCpu();
    busy = ((b.busy - a.busy) / Math.max(b.total - a.total, 0.001)) * 100 * availableParallelism();
    if (busy < 30 || Date.now() - started >= maxS * 1000) break;
  }
  const waitedS = round((Date.now() - started) / 1000 - 1, 0);
  if (busy >= 30)
    log(`the machine is still busy (${Math.round(busy)}% of a core used by other processes): going on`);
  else if ((waitedS ?? 0) > 0) log(`waited ${waitedS} s for other processes to leave the CPU`);
  return { waitedS, busyPercentBefore: round(busy, 0) };
}

// ---------------------------------------------------------------------------------------------------------
// One load run against a server (collector or ceiling), shared by both
// ---------------------------------------------------------------------------------------------------------

/**
 * @param {Options} o
 * @param {Worker[]} workers
 * @param {{ url: string; pid: number; agents: Array<{ host: string; token: string }>; backends?: Record<string, number>;
 *   onFailingSent?: (rows: Array<[string, number, string, number | null]>) => void }} target
 */
async function driveLoad(o, workers, target) {
  const n = target.agents.length;
  const memory = { beforeKiB: rssKiB(target.pid), idleKiB: /** @type {number | undefined} */ (undefined) };

  // Connect: the agents split evenly over the workers.
  log(`connecting ${n} agents to ${target.url}`);
  const per = Math.ceil(n / workers.length);
  const connectStarted = Date.now();
  const connected = await Promise.all(
    workers.map((w, i) => {
      const p = w.next('connected', Math.max(120_000, n * 40));
      w.send({
        type: 'connect',
        url: target.url,
        agents: target.agents.slice(i * per, (i + 1) * per),
        concurrency: o.connectConcurrency,
      });
      return p;
    }),
  );
  const connectMs = Date.now() - connectStarted;
  const connectHist = new Histogram();
  let ok = 0;
  let failed = 0;
  /** @type {string[]} */
  const connectErrors = [];
  for (const c of connected) {
    ok += Number(c.ok);
    failed += Number(c.failed);
    connectHist.merge(/** @type {import('../lib/stats.mjs').SerialisedHistogram} */ (c.hist));
    connectErrors.push(.../** @type {string[]} */ (c.errors));
  }
  log(
    `${ok}/${n} agents connected in ${fmt(connectMs / 1000, 2)} s${failed ? ` (${failed} failed: ${connectErrors[0]})` : ''}`,
  );
  await sleep(1500);
  memory.idleKiB = rssKiB(target.pid);

  // Load: every worker starts at t0 and stops sending at t0 + seconds.
  /** @type {Map<number, { results: number; batches: number; hist: Histogram; errors: Record<string, number> }>} */
  const buckets = new Map();
  for (const w of workers) {
    w.onTick = (m) => {
      for (const b of /** @type {Array<{ k: number; results: number; batches: number; hist: import('../lib/stats.mjs').SerialisedHistogram; errors: Record<string, number> }>} */ (
        m.buckets
      )) {
        let agg = buckets.get(b.k);
        if (!agg) {
          agg = { results: 0, batches: 0, hist: new Histogram(), errors: {} };
          buckets.set(b.k, agg);
        }
        agg.results += b.results;
        agg.batches += b.batches;
        agg.hist.merge(b.hist);
        for (const [code, count] of Object.entries(b.errors))
          agg.errors[code] = (agg.errors[code] ?? 0) + count;
      }
      target.onFailingSent?.(/** @type {Array<[string, number, string, number | null]>} */ (m.failing));
    };
  }
  const t0 = Date.now() + 500;
  const onsetFromMs = (o.warmup + 0.5) * 1000;
  const onsetToMs = Math.max(onsetFromMs, (o.seconds - 3) * 1000);
  const done = workers.map((w) => w.next('done', (o.seconds + 60) * 1000));
  for (const w of workers) {
    w.send({
      type: 'go',
      t0,
      seconds: o.seconds,
      batch: o.batch,
      checks: o.checks,
      failing: o.failingChecks,
      intervalMs: o.intervalMs,
      onsetFromMs,
      onsetToMs,
    });
  }
  log(`sending for ${o.seconds} s`);

  // Samples every 500 ms: the server's memory and CPU, the CPU of the workers, of this process, of the
  // servers behind the collector (PostgreSQL, InfluxDB), and of the whole machine.
  const backends = Object.entries(target.backends ?? {});
  /** @type {Array<{ t: number; rss: number | undefined; cpu: number | undefined; workersCpu: number; mainCpu: number; backendsCpu: number[]; machine: { busy: number; total: number } }>} */
  const samples = [];
  const sample = () => {
    const main = process.cpuUsage();
    samples.push({
      t: (Date.now() - t0) / 1000,
      rss: rssKiB(target.pid),
      cpu: cpuSeconds(target.pid),
      workersCpu: workers.reduce((sum, w) => sum + (cpuSeconds(w.proc.pid) ?? 0), 0),
      mainCpu: (main.user + main.system) / 1e6,
      backendsCpu: backends.map(([, pid]) => treeCpuSeconds(pid)),
      machine: machineCpu(),
    });
  };
  sample();
  const sampler = setInterval(sample, 500);
  /** @type {Array<Record<string, unknown>>} */
  let doneMsgs;
  try {
    doneMsgs = await Promise.all(done);
  } finally {
    clearInterval(sampler);
  }
  sample();

  // Figures over the steady part: buckets [warmup, seconds).
  const steady = { results: 0, batches: 0, hist: new Histogram() };
  let totalResults = 0;
  /** @type {Record<string, number>} */
  const errors = {};
  for (const [k, b] of buckets) {
    totalResults += b.results;
    for (const [code, count] of Object.entries(b.errors)) errors[code] = (errors[code] ?? 0) + count;
    if (k >= o.warmup && k < o.seconds) {
      steady.results += b.results;
      steady.batches += b.batches;
      steady.hist.merge(b.hist);
    }
  }
  const window = o.seconds - o.warmup;
  const at = (/** @type {number} */ t) =>
    samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best));
  const s0 = at(o.warmup);
  const s1 = at(o.seconds);
  const steadyRss = samples
    .filter((s) => s.t >= o.warmup && s.t <= o.seconds && s.rss !== undefined)
    .map((s) => /** @type {number} */ (s.rss));
  const underLoadKiB = median(steadyRss);
  const perAgent = (/** @type {number | undefined} */ kib) =>
    kib === undefined || memory.beforeKiB === undefined ? undefined : round((kib - memory.beforeKiB) / n, 1);
  const timeline = [...buckets]
    .sort((a, b) => a[0] - b[0])
    .map(([k, b]) => {
      // CPU over that second, to tell a dip of the server from other processes taking the CPU.
      const c = cpuFigures(at(k), at(k + 1), backends);
      return {
        second: k,
        results: b.results,
        ackP50Ms: round(b.hist.quantile(0.5), 2),
        ackP99Ms: round(b.hist.quantile(0.99), 2),
        serverCpuPercent: c.serverPercent,
        otherCpuPercent: c.otherProcessesPercent,
      };
    });

  log('closing the agents');
  await Promise.all(
    workers.map((w) => {
      const p = w.next('closed', 30_000);
      w.send({ type: 'close' });
      return p;
    }),
  );
  return {
    agents: n,
    connected: ok,
    connectFailed: failed,
    connectErrors: connectErrors.slice(0, 5),
    connectSeconds: round(connectMs / 1000, 2),
    handshakeMs: connectHist.summary(),
    resultsPerSecond: round(steady.results / window, 0),
    batchesPerSecond: round(steady.batches / window, 1),
    // Acks per agent in the steady window: below 2, most agents waited for one batch the whole window, the
    // queue never turned over, and the latencies are those of the first wave (run longer: --seconds).
    acksPerAgentInWindow: round(steady.batches / n, 2),
    ackLatencyMs: steady.hist.summary(),
    totalResultsAcked: totalResults,
    errors,
    pendingAtEnd: doneMsgs.reduce((s, m) => s + Number(m.pendingAtEnd), 0),
    unexpectedCloses: doneMsgs.reduce((s, m) => s + Number(m.unexpectedCloses), 0),
    memory: {
      beforeKiB: memory.beforeKiB,
      connectedIdleKiB: memory.idleKiB,
      underLoadKiB,
      peakKiB: steadyRss.length > 0 ? Math.max(...steadyRss) : undefined,
      perAgentIdleKiB: perAgent(memory.idleKiB),
      perAgentUnderLoadKiB: perAgent(underLoadKiB),
    },
    cpu: cpuFigures(s0, s1, backends),
    timeline,
  };
}

/**
 * CPU use between two samples, in % of one core (so up to 100 x cores), and what the rest of the machine used
 * meanwhile (other processes: on a shared machine, noise in the figures).
 * @param {{ t: number; cpu: number | undefined; workersCpu: number; mainCpu: number; backendsCpu: number[]; machine: { busy: number; total: number } }} s0
 * @param {typeof s0} s1
 * @param {Array<[string, number]>} backends
 */
function cpuFigures(s0, s1, backends) {
  const dt = Math.max(s1.t - s0.t, 0.001);
  const pct = (/** @type {number} */ seconds) => (seconds / dt) * 100;
  const cores = availableParallelism();
  const machineCorePct =
    ((s1.machine.busy - s0.machine.busy) / Math.max(s1.machine.total - s0.machine.total, 0.001)) *
    100 *
    cores;
  const server = s0.cpu !== undefined && s1.cpu !== undefined ? pct(s1.cpu - s0.cpu) : 0;
  const workersPct = pct(s1.workersCpu - s0.workersCpu);
  const mainPct = pct(s1.mainCpu - s0.mainCpu);
  /** @type {Record<string, number | undefined>} */
  const backendsPct = {};
  let backendsSum = 0;
  backends.forEach(([name], i) => {
    const v = pct((s1.backendsCpu[i] ?? 0) - (s0.backendsCpu[i] ?? 0));
    backendsPct[name] = round(v, 0);
    backendsSum += v;
  });
  return {
    unit: '% of one core',
    cores,
    serverPercent: round(server, 0),
    backendsPercent: backendsPct,
    workersPercent: round(workersPct, 0),
    benchMainPercent: round(mainPct, 0),
    machineBusyPercent: round(machineCorePct, 0),
    otherProcessesPercent: round(
      Math.max(0, machineCorePct - server - workersPct - mainPct - backendsSum),
      0,
    ),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The collector run
// ---------------------------------------------------------------------------------------------------------

/**
 * Polls the open tickets and notes when each (host, check) first shows up: when the answer that lists it
 * arrived (what someone watching the API sees). A poll may take long when the collector is saturated: it is
 * waited for (that is what the API does), up to 5 minutes, and cut short when the poller stops.
 * @param {string} base
 * @param {string} apiKey
 * @param {number} intervalMs
 */
function ticketPoller(base, apiKey, intervalMs) {
  /** @type {Map<string, number>} */
  const firstSeen = new Map();
  const polls = new Histogram();
  let errors = 0;
  let lastError = '';
  let fullPages = 0;
  let stopped = false;
  const stop = new AbortController();
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        const res = await fetch(`${base}/api/tickets?status=open&sort=openedAt&order=desc&limit=200`, {
          headers: { authorization: `Bearer ${apiKey}` },
          signal: AbortSignal.any([stop.signal, AbortSignal.timeout(300_000)]),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
        /** @type {Array<{ host: string; checkId: string }>} */
        const tickets = await res.json();
        const seenAt = Date.now();
        if (tickets.length >= 200) fullPages++;
        for (const t of tickets) {
          const key = `${t.host}/${t.checkId}`;
          if (!firstSeen.has(key)) firstSeen.set(key, seenAt);
        }
        polls.add(seenAt - started);
      } catch (err) {
        if (stopped) break;
        errors++;
        lastError = String(err);
      }
      await sleep(Math.max(0, started + intervalMs - Date.now()));
    }
  })();
  return {
    firstSeen,
    longestPollMs: () => polls.max,
    async stop() {
      stopped = true;
      stop.abort();
      await loop;
      return { polls: polls.count, pollMs: polls.summary(), errors, lastError, fullPages };
    },
  };
}

/**
 * Polls a URL every `intervalMs` while the load runs and keeps the round-trip times: what a NOC page or a
 * load balancer's health check would see (`/healthz`, `/api/tickets` with its default page).
 * @param {string} url
 * @param {Record<string, string>} headers
 * @param {number} intervalMs
 */
function latencyPoller(url, headers, intervalMs) {
  const times = new Histogram();
  let errors = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        if (!res.ok) errors++;
        else times.add(performance.now() - started);
      } catch {
        errors++;
      }
      await sleep(Math.max(0, intervalMs - (performance.now() - started)));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { polls: times.count, ms: times.summary(), errors };
    },
  };
}

/** Counters from the collector's /metrics, summed over labels: `name` or `name{labels}` -> value. */
async function scrapeMetrics(/** @type {string} */ base) {
  /** @type {Record<string, number>} */
  const out = {};
  try {
    const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    for (const line of text.split('\n')) {
      const m = /^(vigie_[a-z_]+)(\{[^}]*\})?\s+(\S+)$/.exec(line);
      if (m) out[`${m[1]}${m[2] ?? ''}`] = Number(m[3]);
    }
  } catch (err) {
    out.scrapeError = 1;
    log(`cannot read /metrics: ${String(err)}`);
  }
  return out;
}

/** Warnings and errors in the collector's pino log (level >= 40), with the first few messages. */
function logProblems(/** @type {string} */ file) {
  let warnings = 0;
  let errors = 0;
  /** @type {Record<string, number>} */
  const messages = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line);
      if (e.level >= 50) errors++;
      else if (e.level >= 40) warnings++;
      else continue;
      const key = `${e.msg}${e.err ? `: ${String(e.err).slice(0, 120)}` : ''}`;
      messages[key] = (messages[key] ?? 0) + 1;
    } catch {
      // not a log line
    }
  }
  return { warnings, errors, messages: Object.fromEntries(Object.entries(messages).slice(0, 10)) };
}

/**
 * @param {Options} o
 * @param {Worker[]} workers
 * @param {number} n
 * @param {{ influx?: Awaited<ReturnType<typeof startInfluxV1>>; postgres?: Awaited<ReturnType<typeof startPostgres>> }} servers
 * @param {string} stamp
 */
async function collectorRun(o, workers, n, servers, stamp) {
  const dir = makeTempDir(`vigie-bench-ingest-${n}-`);
  try {
    const { openStore, addTenant, createAgentToken, createApiKey, collectorMigrations } = await import(
      '@vigie/collector'
    );
    const { createIdGenerator } = await import('@vigie/shared');
    const newId = createIdGenerator();

    /** @type {{ kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string }} */
    let store;
    if (o.store === 'postgres') {
      const pg = /** @type {NonNullable<typeof servers.postgres>} */ (servers.postgres);
      store = { kind: 'postgres', url: await pg.createDatabase(`vigie_bench_${n}`) };
    } else {
      store = { kind: 'sqlite', path: join(dir, 'state.db') };
    }
    /** @type {Record<string, unknown>} */
    let metrics = { kind: 'embedded' };
    if (o.sink === 'influx') {
      const influx = /** @type {NonNullable<typeof servers.influx>} */ (servers.influx);
      const database = `vigie_bench_${n}`;
      await influx.createDatabase(database);
      metrics = { kind: 'influx-v1', url: influx.url, database };
    }

    // Tenant, tokens and key, in the store the collector will open.
    log(`n=${n}: creating the tenant, ${n} agent tokens and a provider key (${store.kind})`);
    const s = await openStore(store, collectorMigrations);
    const now = new Date();
    /** @type {Array<{ host: string; token: string }>} */
    const agents = [];
    let apiKey = '';
    try {
      await s.db.transaction().execute(async (trx) => {
        await addTenant(trx, TENANT, 'Bench', now);
        for (let i = 0; i < n; i++) {
          const host = `bench-${String(i).padStart(5, '0')}`;
          const t = await createAgentToken(trx, { id: newId(), tenantId: TENANT, host, now });
          agents.push({ host, token: t.token });
        }
        apiKey = (await createApiKey(trx, { id: newId(), tenantId: null, name: 'bench', now })).key;
      });
    } finally {
      await s.close();
    }

    // One collector, or K on the one PostgreSQL (each with its own data folder, as on separate machines).
    /** @type {Array<{ port: number; base: string; dir: string; config: Record<string, unknown>; logFile: string; proc: import('../lib/proc.mjs').Managed }>} */
    const instances = [];
    const profDir = join(dir, 'cpuprof');
    // The collector as the vigie-collector command runs it (its young generation), unless told otherwise.
    const nodeArgs = [
      ...(process.env.VIGIE_BENCH_COLLECTOR_NODE_ARGS ?? '--max-semi-space-size=64')
        .split(' ')
        .filter(Boolean),
      ...(o.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
    ];
    const quiet = await waitForQuiet(o.quietWait);
    for (let k = 0; k < o.collectors; k++) {
      const port = await freePort();
      const own = o.collectors === 1 ? dir : join(dir, `collector-${k + 1}`);
      mkdirSync(own, { recursive: true });
      const config = {
        listen: { host: '127.0.0.1', port },
        dataDir: own,
        store:
          store.kind === 'sqlite'
            ? { kind: 'sqlite', path: store.path }
            : { kind: 'postgres', url: store.url },
        metrics,
        ingest: { maxBatch: 1000, heartbeat: '10m', rateLimit: { resultsPerSecond: 1e9, burst: 1e9 } },
        ...(o.collectors > 1 ? { cluster: { instance: `collector-${k + 1}` } } : {}),
        log: { level: 'info' },
      };
      const configFile = join(own, 'collector.yaml');
      writeFileSync(
        configFile,
        `# bench/ingest/run.mjs (JSON is YAML)\n${JSON.stringify(config, null, 2)}\n`,
      );
      const logFile = join(own, 'collector.log');
      const proc = startProcess({
        name: o.collectors === 1 ? 'collector' : `collector-${k + 1}`,
        command: process.execPath,
        args: [...nodeArgs, COLLECTOR_CLI, 'serve', '--config', configFile],
        cwd: own,
        logFile,
        nofile: nofileFor(n + 1024),
      });
      instances.push({ port, base: `http://127.0.0.1:${port}`, dir: own, config, logFile, proc });
    }
    const first = /** @type {(typeof instances)[number]} */ (instances[0]);
    const { base, config, logFile, proc } = first;
    // Agent i to collector i mod K, as a load balancer spreads connections.
    for (const [i, a] of agents.entries())
      Object.assign(a, { url: `ws://127.0.0.1:${instances[i % instances.length]?.port}/ingest` });
    const scrapeAll = async () => {
      /** @type {Record<string, number>} */
      const sum = {};
      for (const inst of instances)
        for (const [k, v] of Object.entries(await scrapeMetrics(inst.base))) sum[k] = (sum[k] ?? 0) + v;
      return sum;
    };
    try {
      for (const inst of instances)
        await waitUntil(`collector (${inst.base})`, () => httpStatusIs(`${inst.base}/healthz`, 200), {
          timeoutMs: 30_000,
          alive: inst.proc.isRunning,
          logFile: inst.logFile,
        });
      await sleep(1000);

      const poller = o.pollMs > 0 ? ticketPoller(base, apiKey, o.pollMs) : undefined;
      const healthPoller = latencyPoller(`${base}/healthz`, {}, 100);
      const queuePoller = latencyPoller(`${base}/api/tickets`, { authorization: `Bearer ${apiKey}` }, 200);
      const countersBefore = await scrapeAll();
      /** @type {Array<[string, number, string, number | null]>} */
      const failingSent = [];
      let load;
      let pollStats;
      try {
        load = await driveLoad(o, workers, {
          url: `ws://127.0.0.1:${first.port}/ingest`,
          pid: proc.pid,
          agents,
          backends: {
            // The other collectors' CPU, beside the first's (the "server" figures are the first collector's).
            ...Object.fromEntries(instances.slice(1).map((inst, k) => [`collector-${k + 2}`, inst.proc.pid])),
            ...(servers.postgres ? { postgres: servers.postgres.pid } : {}),
            ...(servers.influx ? { influxd: servers.influx.pid } : {}),
          },
          onFailingSent: (rows) => failingSent.push(...rows),
        });
        // Give the tickets of the acked onsets (committed already) time to show up: 5 s plus the longest poll
        // (bounded: a ticket older than the 200 newest when a poll runs is never seen).
        if (poller) {
          const deadline = Date.now() + 5000 + Math.min(poller.longestPollMs(), 15_000);
          const onsets = failingSent.filter((r) => r[2] === 'onset' && r[3] !== null);
          while (Date.now() < deadline && onsets.some((r) => !poller.firstSeen.has(r[0]))) await sleep(100);
        }
      } finally {
        pollStats = await poller?.stop();
      }
      const api = { healthz: await healthPoller.stop(), tickets: await queuePoller.stop() };

      /** Failing result -> visible ticket, per kind of failure (initial: from the first batch; onset: under load). */
      const ticketLatency = (/** @type {string} */ kind) => {
        const rows = failingSent.filter((r) => r[2] === kind);
        const h = new Histogram();
        const committed = new Histogram();
        let unseen = 0;
        for (const [key, sentAt, , ackedAt] of rows) {
          if (ackedAt !== null) committed.add(ackedAt - sentAt);
          const seen = poller?.firstSeen.get(key);
          if (seen === undefined) unseen++;
          else h.add(Math.max(0, seen - sentAt));
        }
        // ms: until an API answer listed the ticket; committedMs: until the ack of the batch that carried it
        // (the ticket is committed before the ack). `acked` of `expected` batches were acked before the end.
        return {
          expected: rows.length,
          acked: committed.count,
          seen: h.count,
          unseen,
          ms: h.summary(),
          committedMs: committed.summary(),
        };
      };
      const tickets = {
        pollIntervalMs: o.pollMs,
        underLoad: ticketLatency('onset'),
        firstBatch: ticketLatency('initial'),
        poller: pollStats,
      };
      const counters = await scrapeAll();
      const healthzAll = await Promise.all(
        instances.map((inst) =>
          fetch(`${inst.base}/healthz`)
            .then((r) => r.json())
            .catch(() => undefined),
        ),
      );
      const healthz = instances.length === 1 ? healthzAll[0] : healthzAll;

      log(instances.length === 1 ? 'stopping the collector' : `stopping the ${instances.length} collectors`);
      await Promise.all(instances.map((inst) => inst.proc.stop('SIGTERM', o.cpuProf ? 60_000 : 20_000)));
      let profile;
      if (o.cpuProf) {
        const files = existsSync(profDir)
          ? readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'))
          : [];
        if (files.length === 0) log('no CPU profile was written (the collector did not exit cleanly?)');
        else {
          // One file per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): the main thread's is
          // summed up; the others (the embedded store's thread) are kept beside it.
          const thread = (/** @type {string} */ f) => Number(f.split('.')[4] ?? 0);
          files.sort((a, b) => thread(a) - thread(b));
          const saved = join(RESULTS_DIR, `ingest-${stamp}-n${n}-collector.cpuprofile.json`);
          copyFileSync(join(profDir, /** @type {string} */ (files[0])), saved);
          for (const f of files.slice(1))
            copyFileSync(
              join(profDir, f),
              join(RESULTS_DIR, `ingest-${stamp}-n${n}-collector-thread-${thread(f)}.cpuprofile.json`),
            );
          profile = summariseProfile(saved, 25);
        }
      }
      const batchSeconds = counters.vigie_ingest_batch_seconds_total;
      const batches = counters.vigie_ingest_batches_total;
      // Store round trips per 1,000 results handled during the load (statements: a multi-row one counts once).
      const delta = (/** @type {string} */ name) => (counters[name] ?? 0) - (countersBefore[name] ?? 0);
      const handled = delta('vigie_ingest_results_total') + delta('vigie_ingest_duplicate_results_total');
      const store =
        handled > 0
          ? {
              results: handled,
              statementsPer1000: round((delta('vigie_ingest_store_statements') / handled) * 1000, 1),
              transactionsPer1000: round((delta('vigie_ingest_store_transactions') / handled) * 1000, 2),
              batchesPerGroup: round(
                delta('vigie_ingest_group_batches_total') / Math.max(1, delta('vigie_ingest_groups_total')),
                1,
              ),
            }
          : undefined;
      return {
        ...load,
        api,
        store,
        tickets,
        // The collector's event loop delay over the load window (its /metrics since the scrape before the load).
        loopDelayMs:
          instances.length === 1 && counters.vigie_event_loop_delay_max_seconds !== undefined
            ? {
                p99: round((counters.vigie_event_loop_delay_p99_seconds ?? 0) * 1000, 1),
                max: round(counters.vigie_event_loop_delay_max_seconds * 1000, 1),
              }
            : undefined,
        pipelineMsPerBatch:
          batchSeconds !== undefined && batches ? round((batchSeconds / batches) * 1000, 2) : undefined,
        counters,
        healthz,
        log:
          instances.length === 1 ? logProblems(logFile) : instances.map((inst) => logProblems(inst.logFile)),
        collectors: instances.length,
        profile,
        config,
        quiet,
      };
    } catch (err) {
      for (const inst of instances) log(logTail(inst.logFile));
      throw err;
    } finally {
      await Promise.all(instances.map((inst) => inst.proc.stop('SIGTERM', 20_000)));
    }
  } finally {
    removeTempDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The ceiling run
// ---------------------------------------------------------------------------------------------------------

async function ceilingRun(
  /** @type {Options} */ o,
  /** @type {Worker[]} */ workers,
  /** @type {Array<{ host: string; token: string }>} */ agents,
) {
  const dir = makeTempDir('vigie-bench-ceiling-');
  const port = await freePort();
  const quiet = await waitForQuiet(o.quietWait);
  const logFile = join(dir, 'ceiling.log');
  const proc = startProcess({
    name: 'ceiling',
    command: process.execPath,
    args: [CEILING, String(port)],
    cwd: ROOT,
    logFile,
    nofile: nofileFor(agents.length + 1024),
  });
  try {
    await waitUntil(
      `ceiling server (127.0.0.1:${port})`,
      () => httpStatusIs(`http://127.0.0.1:${port}/`, 426),
      {
        timeoutMs: 20_000,
        alive: proc.isRunning,
        logFile,
      },
    );
    await sleep(1000);
    const load = await driveLoad(o, workers, {
      url: `ws://127.0.0.1:${port}/ingest`,
      pid: proc.pid,
      // The same agents, all to the ceiling server (not to the collectors they were spread over).
      agents: agents.map(({ host, token }) => ({ host, token })),
    });
    return { ...load, quiet };
  } finally {
    await proc.stop('SIGTERM', 10_000);
    removeTempDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------------------

/** The commit and build of the code under test: the figures belong to that collector. */
function codeUnderTest() {
  const git = (/** @type {string[]} */ args) => {
    try {
      return execFileSync('git', args, {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return undefined;
    }
  };
  const changed = git(['status', '--porcelain', '--', 'packages']);
  return {
    commit: git(['rev-parse', '--short', 'HEAD']),
    uncommittedFilesUnderPackages:
      changed === undefined ? undefined : changed.split('\n').filter(Boolean).length,
    collectorBuiltAt: statSync(join(ROOT, 'packages/collector/dist/app.js')).mtime.toISOString(),
  };
}

function environment(/** @type {Options} */ o) {
  const cpu = cpus();
  return {
    code: codeUnderTest(),
    node: process.version,
    cpuModel: cpu[0]?.model,
    cores: availableParallelism(),
    memoryMiB: Math.round(totalmem() / 1048576),
    kernel: release(),
    nofile: nofileLimits(),
    workers: o.workers,
    note: 'server under test, load generators and poller share this machine',
  };
}

/**
 * @typedef {Awaited<ReturnType<typeof driveLoad>>} LoadResult
 * @typedef {Awaited<ReturnType<typeof collectorRun>>} CollectorResult
 * @typedef {{ agents: number; collector: CollectorResult; ceiling?: Awaited<ReturnType<typeof ceilingRun>>; ratio?: { resultsPerSecond: number | undefined } }} RunEntry
 */

function printReport(/** @type {Options} */ o, /** @type {RunEntry[]} */ runs) {
  const headers = [
    'server',
    'agents',
    'results/s',
    'ack p50 ms',
    'ack p99 ms',
    'ticket p50 ms',
    'ticket p99 ms',
    'tickets seen/acked/sent',
    'healthz p99 ms',
    'queue p99 ms',
    'loop delay p99/max ms',
    'stmts/1k',
    'tx/1k',
    'RSS 0 MiB',
    'RSS idle MiB',
    'RSS load MiB',
    'KiB/agent idle',
    'KiB/agent load',
    'server CPU%',
    'db CPU%',
    'gen CPU%',
    'other CPU%',
    'errors',
  ];
  /** @type {Array<Array<string | number | undefined>>} */
  const rows = [];
  const mib = (/** @type {number | undefined} */ k) =>
    k === undefined ? undefined : Math.round((k / 1024) * 10) / 10;
  for (const r of runs) {
    /** @type {Array<[string, LoadResult & { tickets?: CollectorResult['tickets'] } | undefined]>} */
    const servers = [
      ['collector', r.collector],
      ['ceiling', r.ceiling],
    ];
    for (const [name, x] of servers) {
      if (!x) continue;
      const t = x.tickets?.underLoad;
      const errs =
        Object.values(x.errors ?? {}).reduce((a, b) => a + b, 0) + x.connectFailed + x.unexpectedCloses;
      rows.push([
        name,
        r.agents,
        x.resultsPerSecond,
        x.ackLatencyMs.p50,
        x.ackLatencyMs.p99,
        t && t.seen > 0 ? `${fmt(t.ms.p50, 0)} [${fmt(t.committedMs.p50, 0)}]` : undefined,
        t && t.seen > 0 ? `${fmt(t.ms.p99, 0)} [${fmt(t.committedMs.p99, 0)}]` : undefined,
        t ? `${t.seen}/${t.acked}/${t.expected}` : undefined,
        'api' in x ? x.api?.healthz.ms.p99 : undefined,
        'api' in x ? x.api?.tickets.ms.p99 : undefined,
        'loopDelayMs' in x && x.loopDelayMs ? `${x.loopDelayMs.p99}/${x.loopDelayMs.max}` : undefined,
        'store' in x ? x.store?.statementsPer1000 : undefined,
        'store' in x ? x.store?.transactionsPer1000 : undefined,
        mib(x.memory.beforeKiB),
        mib(x.memory.connectedIdleKiB),
        mib(x.memory.underLoadKiB),
        x.memory.perAgentIdleKiB,
        x.memory.perAgentUnderLoadKiB,
        x.cpu.serverPercent,
        Object.keys(x.cpu.backendsPercent).length > 0
          ? Object.values(x.cpu.backendsPercent).reduce((a, b) => (a ?? 0) + (b ?? 0), 0)
          : undefined,
        x.cpu.workersPercent,
        x.cpu.otherProcessesPercent,
        errs,
      ]);
    }
    const ratio = r.ratio?.resultsPerSecond;
    if (ratio !== undefined)
      rows.push(['  collector/ceiling', r.agents, `${fmt(ratio * 100)}% of results/s`]);
  }
  /** @type {string[]} */
  const notes = [];
  for (const r of runs) {
    for (const [name, x] of /** @type {const} */ ([
      ['collector', r.collector],
      ['ceiling', r.ceiling],
    ])) {
      // Fewer than 2 acks per agent with acks slower than a quarter of the window: the queue never turned over.
      const slow = (x?.ackLatencyMs.p50 ?? 0) > ((o.seconds - o.warmup) * 1000) / 4;
      if (x && (x.acksPerAgentInWindow ?? 0) < 2 && slow) {
        notes.push(
          `note: ${name} with ${r.agents} agents: ${x.acksPerAgentInWindow} acks per agent in the steady window, ` +
            'so the latencies are those of the first wave of batches (run longer: --seconds)',
        );
      }
    }
  }
  const pace =
    o.intervalMs > 0 ? `one batch per agent every ${o.intervalMs} ms at most` : 'next batch on ack';
  process.stdout.write(
    `\nIngest: ${o.sink} metrics, ${o.store} store, batch ${o.batch} (${pace}), ${o.checks} checks/agent, ` +
      `${fmt(o.failingShare * 100)}% failing, ${o.seconds} s per run (first ${o.warmup} s left out), ` +
      `${o.workers} load workers, ${availableParallelism()} cores\n\n${table(headers, rows)}\n` +
      'ticket: failing result sent -> its ticket listed by GET /api/tickets, for failures that began under load ' +
      '[-> ack of its batch: the ticket is committed by then]; seen/acked/sent: such failures whose ticket was ' +
      'listed / whose batch was acked / sent. healthz, queue: GET /healthz and GET /api/tickets round trips ' +
      "while the load runs; stmts/1k, tx/1k: the ingest path's store statements (a multi-row one counts once) " +
      'and transactions per 1,000 results. ' +
      'RSS 0: before any agent; idle: all connected, not sending; load: median while sending; ' +
      'KiB/agent: (RSS - RSS 0) / agents. CPU in % of one core; other: processes outside the bench.\n' +
      `${notes.join('\n')}\n`,
  );
}

async function main() {
  const o = options();
  if (!existsSync(COLLECTOR_CLI)) {
    throw new Error(`${COLLECTOR_CLI} is missing: build first (npm run build, or npx tsc -b)`);
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const outFile = o.out ?? join(RESULTS_DIR, `ingest-${stamp}.json`);
  const maxAgents = Math.max(...o.agents);
  const env = environment(o);

  // A bound on the whole run: per agent count, the connects, the sending time, the drains and the restarts.
  const budgetS =
    120 + o.agents.reduce((s, n) => s + (o.seconds + 90 + o.quietWait + n * 0.04) * (o.ceiling ? 2 : 1), 0);
  const watchdog = setTimeout(() => {
    log(`the run exceeded its time bound (${Math.round(budgetS)} s): stopping`);
    runCleanups().finally(() => process.exit(1));
  }, budgetS * 1000);
  watchdog.unref();

  const workers = await startWorkers(o.workers, maxAgents);
  /** @type {{ influx?: Awaited<ReturnType<typeof startInfluxV1>>; postgres?: Awaited<ReturnType<typeof startPostgres>> }} */
  const servers = {};
  if (o.sink === 'influx') {
    log('starting InfluxDB 1.x');
    servers.influx = await startInfluxV1();
  }
  if (o.store === 'postgres') {
    log('starting PostgreSQL');
    servers.postgres = await startPostgres();
  }

  /** @type {RunEntry[]} */
  const runs = [];
  for (const n of o.agents) {
    log(`--- ${n} agents: collector`);
    const collector = await collectorRun(o, workers, n, servers, stamp);
    /** @type {RunEntry} */
    const entry = { agents: n, collector };
    if (o.ceiling) {
      log(`--- ${n} agents: ceiling (bare ws server)`);
      const agents = Array.from({ length: n }, (_, i) => ({
        host: `bench-${String(i).padStart(5, '0')}`,
        token: 'none',
      }));
      const ceiling = await ceilingRun(o, workers, agents);
      entry.ceiling = ceiling;
      entry.ratio = {
        resultsPerSecond:
          collector.resultsPerSecond && ceiling.resultsPerSecond
            ? round(collector.resultsPerSecond / ceiling.resultsPerSecond, 3)
            : undefined,
      };
    }
    runs.push(entry);
    printReport(o, [entry]);
    if (collector.profile) printProfileSummary(collector.profile);
  }

  const report = {
    benchmark: 'ingest',
    startedAt: new Date().toISOString(),
    options: { ...o, out: undefined },
    environment: {
      ...env,
      influxdb: servers.influx ? 'Debian influxdb (influxd 1.x), wal-fsync-delay 0s' : undefined,
      postgres: servers.postgres
        ? `PostgreSQL ${servers.postgres.version}, default settings (fsync on)`
        : undefined,
    },
    runs,
  };
  printReport(o, runs);
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`written: ${outFile}\n`);
  for (const w of workers) w.send({ type: 'exit' });
  await runCleanups();
  clearTimeout(watchdog);
}

main().catch(async (err) => {
  process.stderr.write(
    `ingest bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  await runCleanups();
  process.exit(1);
});
