#!/usr/bin/env node
// Runs every benchmark: each bench/<name>/run.mjs in turn, with no options, so each on its own small default
// sizes (the whole `npm run bench` takes a few minutes). Each prints its figures and writes its JSON report
// to bench/results/. To go bigger, run one alone with its own size options, e.g.
//   node bench/ingest/run.mjs --agents 100,1000,5000 --seconds 10
//
//   node bench/run.mjs [--only ingest,agent-footprint] [--list]
//
// The benchmarks run the built packages (packages/*/dist): `npm run build` first.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
/** Longest one benchmark may take with its default sizes before it is stopped. */
const TIMEOUT_MS = 20 * 60_000;

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: node bench/run.mjs [--only NAME,NAME] [--list]\n');
  process.exit(0);
}

const all = readdirSync(BENCH, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(BENCH, d.name, 'run.mjs')))
  .map((d) => d.name)
  .sort();
if (values.list) {
  process.stdout.write(`${all.join('\n')}\n`);
  process.exit(0);
}
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((n) => !all.includes(n)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`no benchmark ${unknown.join(', ')} (there are: ${all.join(', ')})\n`);
  process.exit(2);
}
const selected = only ? all.filter((n) => only.includes(n)) : all;

if (
  !existsSync(join(ROOT, 'packages/collector/dist/cli.js')) ||
  !existsSync(join(ROOT, 'packages/agent/dist'))
) {
  process.stderr.write('the packages are not built: run `npm run build` (or `npx tsc -b`) first\n');
  process.exit(2);
}

/** @type {import('node:child_process').ChildProcess | undefined} */
let current;
let interrupted = false;
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    interrupted = true;
    // The benchmark cleans up its own processes and folders on this signal.
    current?.kill(signal);
  });
}

/** Runs one benchmark; resolves with its exit code (or the signal that ended it). */
function runOne(/** @type {string} */ name) {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [join(BENCH, name, 'run.mjs')], { cwd: ROOT, stdio: 'inherit' });
    current = child;
    const timer = setTimeout(() => {
      process.stderr.write(`\n${name}: still running after ${TIMEOUT_MS / 60_000} min: stopping it\n`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
    }, TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      resolvePromise(signal ?? code ?? 1);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      current = undefined;
      process.stderr.write(`${name}: ${err.message}\n`);
      resolvePromise(1);
    });
  });
}

const summary = [];
for (const name of selected) {
  if (interrupted) break;
  process.stdout.write(`\n=== bench ${name} ===\n`);
  const started = Date.now();
  const status = await runOne(name);
  summary.push({ name, status, seconds: Math.round((Date.now() - started) / 1000) });
}

process.stdout.write('\n=== benchmarks ===\n');
for (const r of summary) {
  process.stdout.write(
    `${r.name.padEnd(24)} ${r.status === 0 ? 'done' : `FAILED (${r.status})`}  ${r.seconds} s\n`,
  );
}
process.exit(interrupted ? 130 : summary.every((r) => r.status === 0) ? 0 : 1);
