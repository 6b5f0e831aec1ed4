// Simulated agents for the ingest benchmark, many per process: real WebSocket clients that say hello, wait for
// the welcome, then send `results` batches as fast as the acks come back (one batch in flight per agent).
// Driven by bench/ingest/run.mjs over the IPC channel; reports every second.
//
// The load of one agent: K check ids (10 by default) taken in turn, so a batch of 50 holds 5 results of each;
// 3 to 5 metrics per result; a unique id and sequence number per result (protocol 2). The generator must not
// be the bottleneck: each (agent, check, ok|failing) result is serialised once, as text with holes, and a
// batch is built by patching its ids, sequence numbers and times in as strings (still unique and valid). A share of the checks fails (critical):
// with K = 10 and a failing share of 0.1, one check. Mid-run, at a random moment per agent (the "onset"), the
// failing check recovers and the one before it starts failing, so the share stays the same while tickets are
// resolved and opened under steady load; the first failing result of each (agent, check) is reported with
// its send time, so that run.mjs can measure how long until its ticket is visible in the API.
import WebSocket from 'ws';
import { Histogram } from '../lib/stats.mjs';

/** @typedef {{ host: string; token: string; url?: string }} AgentSpec */
/**
 * @typedef {object} Agent
 * @property {number} index
 * @property {number} seq last sequence number sent
 * @property {string[][]} templates result texts with holes, per check index and status
 * @property {string} host
 * @property {string} token
 * @property {string} url the collector this agent connects to
 * @property {WebSocket | undefined} ws
 * @property {'connecting' | 'ready' | 'closed'} state
 * @property {number} cursor next check index (mod K)
 * @property {number[]} lastObserved last observedAt (ms) per check index
 * @property {number} onsetMs onset, ms after t0
 * @property {number} nextDue earliest time (ms) of the next send, with --interval
 * @property {Set<number>} reported check indexes whose first failing result was reported
 * @property {{ batchId: string; payload: string; sentPerf: number; results: number; failing: Array<[string, number, string]> } | undefined} inflight
 * @property {((ok: boolean, why?: string) => void) | undefined} onWelcome
 */

// Ten check templates: id, type, category, and 3 to 5 metrics. `bad` is the first metric's value when failing.
const TEMPLATES = [
  {
    id: 'fs',
    type: 'filesystem',
    category: 'performance',
    metrics: ['used_percent@/', 'used_percent@/var', 'inodes_used_percent@/', 'free_bytes@/'],
    bad: 97,
  },
  {
    id: 'cpu',
    type: 'cpu',
    category: 'performance',
    metrics: ['usage_percent', 'load1', 'load5', 'load15'],
    bad: 99,
  },
  {
    id: 'mem',
    type: 'memory',
    category: 'performance',
    metrics: ['used_percent', 'available_bytes', 'swap_used_percent'],
    bad: 98,
  },
  {
    id: 'backup',
    type: 'backup-freshness',
    category: 'backup',
    metrics: ['newest_age_seconds', 'newest_size_bytes', 'files'],
    bad: 400_000,
  },
  {
    id: 'tls',
    type: 'tls-certificate-file',
    category: 'security',
    metrics: ['days_left', 'key_bits', 'chain_length'],
    bad: 2,
  },
  {
    id: 'updates',
    type: 'updates',
    category: 'security',
    metrics: ['pending', 'security_pending', 'reboot_required'],
    bad: 12,
  },
  {
    id: 'http',
    type: 'http',
    category: 'performance',
    metrics: ['response_ms', 'status_code', 'bytes'],
    bad: 5000,
  },
  {
    id: 'disk-io',
    type: 'disk-io',
    category: 'performance',
    metrics: ['read_bytes_per_s@sda', 'write_bytes_per_s@sda', 'util_percent@sda', 'await_ms@sda'],
    bad: 250,
  },
  {
    id: 'net',
    type: 'network',
    category: 'performance',
    metrics: ['rx_bytes_per_s@eth0', 'tx_bytes_per_s@eth0', 'errors@eth0', 'drops@eth0', 'collisions@eth0'],
    bad: 900,
  },
  {
    id: 'tcp',
    type: 'tcp',
    category: 'performance',
    metrics: ['established', 'time_wait', 'retransmits', 'listen_overflows', 'syn_recv'],
    bad: 5000,
  },
];

/** Unique ids without a random source per call: worker, agent and a counter, in the UUID layout. */
const workerTag = (process.pid & 0xffff).toString(16).padStart(4, '0');
let idCounter = 0;
function newId(/** @type {number} */ agentIndex = 0) {
  idCounter++;
  return `${agentIndex.toString(16).padStart(8, '0')}-${workerTag}-7${(idCounter >>> 24).toString(16).padStart(3, '0').slice(-3)}-8000-${(idCounter & 0xffffff).toString(16).padStart(12, '0')}`;
}

/** @type {Agent[]} */
let agents = [];
let running = false;
/** @type {{ t0: number; seconds: number; batch: number; checks: number; failing: number; intervalMs: number } | undefined} */
let run;
/** Per 1-second bucket since t0: results acked, batches acked, ack latency, errors by code. */
/** @type {Map<number, { results: number; batches: number; hist: Histogram; errors: Record<string, number> }>} */
let buckets = new Map();
/**
 * First failing result per (host, check): [key, sentAtMs, kind, ackedAtMs], reported once its batch is acked
 * (the ticket is committed by then), or at the end with ackedAtMs null.
 */
/** @type {Array<[string, number, string, number | null]>} */
let failingSent = [];
let unexpectedCloses = 0;
let flushTimer;

const send = (/** @type {object} */ msg) => process.send?.(msg);

function bucket(/** @type {number} */ nowMs) {
  const k = Math.floor((nowMs - (run?.t0 ?? nowMs)) / 1000);
  let b = buckets.get(k);
  if (!b) {
    b = { results: 0, batches: 0, hist: new Histogram(), errors: {} };
    buckets.set(k, b);
  }
  return b;
}

function checkId(/** @type {number} */ index) {
  const t = TEMPLATES[index % TEMPLATES.length];
  return index < TEMPLATES.length ? t.id : `${t.id}-${Math.floor(index / TEMPLATES.length)}`;
}

/** Whether check `index` fails at `relMs` after t0: the last `failing` checks before the onset, the ones before them after. */
function isFailing(/** @type {Agent} */ a, /** @type {number} */ index, /** @type {number} */ relMs) {
  const { checks, failing } = /** @type {NonNullable<typeof run>} */ (run);
  if (failing === 0) return false;
  const from = relMs < a.onsetMs ? checks - failing : checks - 2 * failing;
  return index >= from && index < from + failing;
}

function metricValue(/** @type {number} */ i) {
  return Math.round(Math.random() * (i === 0 ? 80 : 10_000) * 100) / 100;
}

/**
 * The text of a result with three holes (id, seq, observedAt), for one check index, ok or failing:
 * [before id, before seq, before observedAt, end].
 */
function template(/** @type {number} */ index, /** @type {boolean} */ failing) {
  const t = TEMPLATES[index % TEMPLATES.length];
  /** @type {Record<string, number>} */
  const metrics = {};
  t.metrics.forEach((name, j) => {
    metrics[name] = failing && j === 0 ? t.bad : metricValue(j);
  });
  const head = `{"id":"`;
  const mid = `","seq":`;
  const body = JSON.stringify({
    checkId: checkId(index),
    type: t.type,
    category: t.category,
    status: failing ? 'critical' : 'ok',
    metrics,
    message: failing ? `${t.metrics[0]} is ${t.bad}` : 'ok',
  });
  return [
    head,
    mid,
    `,${body.slice(1, -1)},"observedAt":"`,
    `","durationMs":${Math.round(Math.random() * 500) / 10}}`,
  ];
}

function buildBatch(/** @type {Agent} */ a, /** @type {number} */ nowMs) {
  const r = /** @type {NonNullable<typeof run>} */ (run);
  const rel = nowMs - r.t0;
  const parts = [];
  /** @type {number[]} */
  const newlyFailing = [];
  for (let i = 0; i < r.batch; i++) {
    const index = a.cursor++ % r.checks;
    const failing = isFailing(a, index, rel);
    const key = index * 2 + (failing ? 1 : 0);
    let t = a.templates[key];
    if (!t) {
      t = template(index, failing);
      a.templates[key] = t;
    }
    // Distinct observation times per check, so that no two points of a series share a timestamp.
    const observed = Math.max(nowMs, (a.lastObserved[index] ?? 0) + 1);
    a.lastObserved[index] = observed;
    parts.push(`${t[0]}${newId(a.index)}${t[1]}${++a.seq}${t[2]}${new Date(observed).toISOString()}${t[3]}`);
    if (failing && !a.reported.has(index)) {
      a.reported.add(index);
      newlyFailing.push(index);
    }
  }
  const batchId = newId(a.index);
  const payload = `{"v":2,"type":"results","batchId":"${batchId}","sentAt":"${new Date(nowMs).toISOString()}","results":[${parts.join(',')}]}`;
  return { batchId, payload, results: r.batch, newlyFailing, rel };
}

function sendNext(/** @type {Agent} */ a) {
  if (!running || a.state !== 'ready' || !a.ws || !run) return;
  const nowMs = Date.now();
  if (nowMs >= run.t0 + run.seconds * 1000) return;
  if (nowMs < a.nextDue) {
    setTimeout(() => sendNext(a), a.nextDue - nowMs);
    return;
  }
  a.nextDue = nowMs + run.intervalMs;
  const b = buildBatch(a, nowMs);
  const kind = b.rel < a.onsetMs ? 'initial' : 'onset';
  a.inflight = {
    batchId: b.batchId,
    payload: b.payload,
    sentPerf: performance.now(),
    results: b.results,
    failing: b.newlyFailing.map((index) => [`${a.host}/${checkId(index)}`, nowMs, kind]),
  };
  a.ws.send(b.payload);
}

function onMessage(/** @type {Agent} */ a, /** @type {WebSocket.RawData} */ data) {
  /** @type {{ type: string; batchId?: string; code?: string; message?: string; retryAfterMs?: number }} */
  const msg = JSON.parse(data.toString());
  if (msg.type === 'welcome') {
    a.state = 'ready';
    a.onWelcome?.(true);
    a.onWelcome = undefined;
    return;
  }
  if (msg.type === 'ack') {
    const inflight = a.inflight;
    if (!inflight || inflight.batchId !== msg.batchId) return;
    const ackedAt = Date.now();
    const b = bucket(ackedAt);
    b.results += inflight.results;
    b.batches++;
    b.hist.add(performance.now() - inflight.sentPerf);
    for (const [key, sentAt, kind] of inflight.failing) failingSent.push([key, sentAt, kind, ackedAt]);
    a.inflight = undefined;
    sendNext(a);
    return;
  }
  if (msg.type === 'error') {
    const b = bucket(Date.now());
    const code = msg.code ?? 'unknown';
    b.errors[code] = (b.errors[code] ?? 0) + 1;
    if (a.state === 'connecting') {
      a.onWelcome?.(false, `${code}: ${msg.message}`);
      a.onWelcome = undefined;
      return;
    }
    // A refused batch (overloaded, rate_limited, internal): the agent keeps it and sends it again after the
    // delay the collector asked for (or a little later).
    const inflight = a.inflight;
    if (inflight && inflight.batchId === msg.batchId) {
      setTimeout(() => {
        if (running && a.state === 'ready' && a.ws) a.ws.send(inflight.payload);
      }, msg.retryAfterMs ?? 100);
    }
  }
}

/** Connects one agent: handshake, hello, welcome. Resolves with an error text, or undefined when ready. */
function connect(/** @type {Agent} */ a, /** @type {string} */ url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${a.token}` },
      perMessageDeflate: false,
      handshakeTimeout: 60_000,
      maxPayload: 1024 * 1024,
    });
    a.ws = ws;
    const timer = setTimeout(() => {
      ws.terminate();
      finish('no welcome within 90 s');
    }, 90_000);
    const finish = (/** @type {string | undefined} */ why) => {
      clearTimeout(timer);
      resolve(why);
    };
    a.onWelcome = (ok, why) => finish(ok ? undefined : why);
    ws.on('open', () => {
      ws.send(
        JSON.stringify({
          v: 2,
          type: 'hello',
          agent: { host: a.host, environment: 'production', application: 'bench', version: 'bench' },
          stream: { epoch: `bench-${a.index}-${workerTag}-${Date.now()}` },
          sentAt: new Date().toISOString(),
        }),
      );
    });
    ws.on('message', (data) => onMessage(a, data));
    ws.on('unexpected-response', (_req, res) => {
      finish(`handshake refused: HTTP ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('error', (err) => {
      if (a.state === 'connecting') finish(`connection error: ${err.message}`);
    });
    ws.on('close', (code, reason) => {
      if (a.state === 'ready' && running) {
        unexpectedCloses++;
        const b = bucket(Date.now());
        const key = `closed_${code}`;
        b.errors[key] = (b.errors[key] ?? 0) + 1;
        if (unexpectedCloses <= 3) {
          process.stderr.write(`agent ${a.host}: closed by the server: ${code} ${reason.toString()}\n`);
        }
      }
      if (a.state === 'connecting') finish(`closed ${code} ${reason.toString()}`);
      a.state = 'closed';
    });
  });
}

async function connectAll(
  /** @type {string} */ url,
  /** @type {AgentSpec[]} */ specs,
  /** @type {number} */ concurrency,
) {
  agents = specs.map((s, i) => ({
    index: i,
    seq: 0,
    templates: [],
    host: s.host,
    token: s.token,
    url: s.url ?? url,
    ws: undefined,
    state: /** @type {const} */ ('connecting'),
    cursor: 0,
    lastObserved: [],
    onsetMs: 0,
    nextDue: 0,
    reported: new Set(),
    inflight: undefined,
    onWelcome: undefined,
  }));
  const started = performance.now();
  const hist = new Histogram();
  /** @type {string[]} */
  const errors = [];
  let failed = 0;
  let next = 0;
  const lane = async () => {
    while (next < agents.length) {
      const a = /** @type {Agent} */ (agents[next++]);
      const t = performance.now();
      const why = await connect(a, a.url);
      if (why === undefined) hist.add(performance.now() - t);
      else {
        failed++;
        a.state = 'closed';
        if (errors.length < 5) errors.push(`${a.host}: ${why}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, agents.length) }, lane));
  return { ok: agents.length - failed, failed, errors, ms: performance.now() - started, hist: hist.toJSON() };
}

/** Reports complete buckets (all of them when `all`) and the failing first-sends seen so far. */
function flush(all = false) {
  if (!run) return;
  const current = Math.floor((Date.now() - run.t0) / 1000);
  const out = [];
  for (const [k, b] of buckets) {
    if (!all && k >= current) continue;
    out.push({ k, results: b.results, batches: b.batches, hist: b.hist.toJSON(), errors: b.errors });
    buckets.delete(k);
  }
  if (out.length > 0 || failingSent.length > 0) send({ type: 'tick', buckets: out, failing: failingSent });
  failingSent = [];
}

async function go(
  /** @type {{ t0: number; seconds: number; batch: number; checks: number; failing: number; intervalMs: number; onsetFromMs: number; onsetToMs: number }} */ m,
) {
  run = {
    t0: m.t0,
    seconds: m.seconds,
    batch: m.batch,
    checks: m.checks,
    failing: m.failing,
    intervalMs: m.intervalMs,
  };
  buckets = new Map();
  failingSent = [];
  unexpectedCloses = 0;
  for (const a of agents) {
    a.onsetMs = m.onsetFromMs + Math.random() * (m.onsetToMs - m.onsetFromMs);
    a.cursor = Math.floor(Math.random() * m.checks);
    // Paced agents start spread over one interval; unpaced ones all send at t0.
    a.nextDue = m.t0 + Math.random() * m.intervalMs;
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, m.t0 - Date.now())));
  running = true;
  flushTimer = setInterval(() => flush(false), 250);
  for (const a of agents) sendNext(a);
  // Stop sending at t0 + seconds; wait (bounded) for the batches in flight.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, m.t0 + m.seconds * 1000 - Date.now())));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && agents.some((a) => a.state === 'ready' && a.inflight)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  running = false;
  clearInterval(flushTimer);
  for (const a of agents) {
    for (const [key, sentAt, kind] of a.inflight?.failing ?? []) failingSent.push([key, sentAt, kind, null]);
  }
  flush(true);
  const pending = agents.filter((a) => a.state === 'ready' && a.inflight).length;
  send({ type: 'done', pendingAtEnd: pending, unexpectedCloses });
}

async function closeAll() {
  running = false;
  await Promise.all(
    agents.map(
      (a) =>
        new Promise((resolve) => {
          const ws = a.ws;
          if (!ws || ws.readyState === WebSocket.CLOSED) return resolve(undefined);
          const timer = setTimeout(() => {
            ws.terminate();
            resolve(undefined);
          }, 5000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve(undefined);
          });
          a.state = 'closed';
          ws.close(1000, 'bench done');
        }),
    ),
  );
  agents = [];
}

process.on('message', (/** @type {{ type: string } & Record<string, unknown>} */ m) => {
  const fail = (/** @type {unknown} */ err) => send({ type: 'failed', error: String(err) });
  if (m.type === 'connect') {
    connectAll(
      /** @type {string} */ (m.url),
      /** @type {AgentSpec[]} */ (m.agents),
      /** @type {number} */ (m.concurrency),
    ).then((r) => send({ type: 'connected', ...r }), fail);
  } else if (m.type === 'go') {
    go(/** @type {Parameters<typeof go>[0]} */ (/** @type {unknown} */ (m))).catch(fail);
  } else if (m.type === 'close') {
    closeAll().then(() => send({ type: 'closed' }), fail);
  } else if (m.type === 'exit') {
    process.exit(0);
  }
});
// Never outlive the bench.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
