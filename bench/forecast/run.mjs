#!/usr/bin/env node
// Vigie's forecast (Theil–Sen, packages/collector/src/forecast/) against Prometheus's predict_linear (least
// squares) on the same synthetic filesystem series: each series is backfilled into a real Prometheus
// (Debian package `prometheus`: promtool tsdb create-blocks-from openmetrics), both predict the time to
// 100 % from the same two days of samples, and both are compared with the truth. Also: would each alert on a
// 7-day horizon (`predict_linear(x[2d], 7d) > 100`, a Vigie ticket)? Takes a few seconds.
//
//   node bench/forecast/run.mjs          (needs `npm run build` and the `prometheus` package)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forecastSeries } from '../../packages/collector/dist/forecast/forecast.js';
import { DEFAULT_FORECAST_RULES, resolveRule } from '../../packages/collector/dist/forecast/rules.js';
import { synthetic } from '../../packages/collector/dist/forecast/testing.js';
import { freePort, makeTempDir, runCleanups, startProcess, waitUntil, which } from '../lib/proc.mjs';
import { fmt, table } from '../lib/table.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DAY = 86_400_000;
const STEP = 10 * 60_000;
const WINDOW = 2 * DAY;
const HORIZON_S = 7 * 86_400;

for (const tool of ['prometheus', 'promtool']) {
  if (!which(tool)) {
    process.stderr.write(`${tool} not found: apt-get install prometheus\n`);
    process.exit(2);
  }
}

// Evaluated an hour ago: backfilled blocks must lie in the past.
const end = Math.floor((Date.now() - 3_600_000) / STEP) * STEP;
const start = end - WINDOW;
const count = WINDOW / STEP + 1;
const fill = { start, stepMs: STEP, count, base: 20, perDay: 20 };

/** @type {Array<{ name: string; samples: Array<{ t: number; v: number }>; truthS: number | null }>} */
const scenarios = [];
const add = (name, samples, truthS) => scenarios.push({ name, samples, truthS });
add('fill, noise 1 %', synthetic({ ...fill, noise: 1, seed: 201 }), 2 * 86_400);
add('fill, noise 3 %', synthetic({ ...fill, noise: 3, seed: 202 }), 2 * 86_400);
{
  // A temporary file of 15 % on one sample in ten (a dump written then moved away).
  const s = synthetic({ ...fill, noise: 0.5, seed: 203 });
  s.forEach((p, i) => {
    if (i % 10 === 5) p.v += 15;
  });
  add('fill, 10 % spikes', s, 2 * 86_400);
}
{
  // 12 %/day for a day and a half, then 48 %/day for the last 12 hours.
  const turn = end - DAY / 2;
  const s = synthetic({ start, stepMs: STEP, count, base: 40, perDay: 12, noise: 0.5, seed: 204 }).map(
    (p) => ({
      t: p.t,
      v: p.t <= turn ? p.v : p.v + (36 * (p.t - turn)) / DAY,
    }),
  );
  const at = 40 + 12 * 2 + 36 * 0.5;
  add('fill speeding up 4x', s, ((100 - at) / 48) * 86_400);
}
add(
  'flat at 80 %, noise 3 %',
  synthetic({ start, stepMs: STEP, count, base: 80, perDay: 0, noise: 3, seed: 205 }),
  null,
);
add(
  'log rotation every 12 h',
  synthetic({ start, stepMs: STEP, count, base: 50, perDay: 40, noise: 0.5, seed: 206, periodMs: DAY / 2 }),
  null,
);

const dir = makeTempDir('vigie-bench-forecast-');
try {
  const om = scenarios
    .map((sc, i) =>
      sc.samples
        .map((p) => `vigie_used_percent{scenario="${i}"} ${p.v} ${(p.t / 1000).toFixed(3)}`)
        .join('\n'),
    )
    .join('\n');
  writeFileSync(join(dir, 'series.om'), `# TYPE vigie_used_percent gauge\n${om}\n# EOF\n`);
  const data = join(dir, 'data');
  mkdirSync(data);
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'series.om'), data], {
    stdio: 'pipe',
  });
  writeFileSync(join(dir, 'prometheus.yml'), 'global: { scrape_interval: 1h }\nscrape_configs: []\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(dir, 'prometheus.log');
  const prom = startProcess({
    name: 'prometheus',
    command: 'prometheus',
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      '--storage.tsdb.retention.time=3650d',
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    logFile,
  });
  await waitUntil('prometheus', async () => (await fetch(`${url}/-/ready`)).ok, {
    timeoutMs: 30_000,
    alive: prom.isRunning,
    logFile,
  });
  const query = async (q) => {
    const u = `${url}/api/v1/query?query=${encodeURIComponent(q)}&time=${end / 1000}`;
    const body = await (await fetch(u)).json();
    if (body.status !== 'success') throw new Error(`${q}: ${JSON.stringify(body)}`);
    const v = body.data.result[0]?.value?.[1];
    return v === undefined ? undefined : Number(v);
  };
  const rule = resolveRule(
    DEFAULT_FORECAST_RULES.find((r) => r.id === 'default-filesystem-space'),
    true,
  );
  const rows = [];
  const report = [];
  for (const [i, sc] of scenarios.entries()) {
    const sel = `vigie_used_percent{scenario="${i}"}[2d]`;
    const now = await query(`predict_linear(${sel}, 0)`);
    const slope = await query(`deriv(${sel})`);
    const promS = now !== undefined && slope !== undefined && slope > 0 ? (100 - now) / slope : null;
    const promAlert = (await query(`predict_linear(${sel}, ${HORIZON_S}) > 100`)) !== undefined;
    const f = forecastSeries(rule, sc.samples, end);
    const vigieS = f.seconds ?? null;
    const vigieAlert = f.verdict === 'crossing';
    const err = (s) => (sc.truthS === null || s === null ? null : (100 * (s - sc.truthS)) / sc.truthS);
    const hours = (s) => (s === null ? null : s / 3600);
    rows.push([
      sc.name,
      sc.truthS === null ? 'never' : fmt(hours(sc.truthS)),
      fmt(hours(promS)),
      err(promS) === null ? '-' : `${fmt(err(promS))} %`,
      promAlert ? 'yes' : 'no',
      vigieS === null ? f.verdict : fmt(hours(vigieS)),
      err(vigieS) === null ? '-' : `${fmt(err(vigieS))} %`,
      vigieAlert ? 'yes' : 'no',
    ]);
    report.push({
      scenario: sc.name,
      truthSeconds: sc.truthS,
      prometheus: { seconds: promS, errorPercent: err(promS), alerts7d: promAlert },
      vigie: {
        seconds: vigieS,
        verdict: f.verdict,
        errorPercent: err(vigieS),
        ticket: vigieAlert,
        quality: f.fit?.quality,
      },
    });
  }
  process.stdout.write(
    `\nTime to 100 % from two days of 10-minute samples (hours), and whether a 7-day alert fires\n\n${table(
      ['series', 'truth', 'Prometheus', 'error', 'alert', 'Vigie', 'error', 'ticket'],
      rows,
    )}\n`,
  );
  await prom.stop();
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const out = join(ROOT, 'bench/results', `forecast-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    out,
    `${JSON.stringify({ at: new Date().toISOString(), prometheus: '2.42 predict_linear/deriv', report }, null, 2)}\n`,
  );
  process.stdout.write(`\nwritten to ${out}\n`);
} finally {
  await runCleanups();
}
