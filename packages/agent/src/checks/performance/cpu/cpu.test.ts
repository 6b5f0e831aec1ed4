import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import { counterDeltas } from '../counters.js';
import cpuDefault, { cpuCheck, FIRST_SAMPLE_MS } from './index.js';
import { CpuOptionsSchema } from './options.js';
import { cpuUsage, parseLoadavg, parseProcStat } from './procstat.js';
import { judgeCpu } from './verdict.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
// This 2-core VM's /proc/stat, read twice 2.2 s apart while one shell loop kept a core busy.
const before = parseProcStat(testdata('proc-stat-1.txt'));
const after = parseProcStat(testdata('proc-stat-2.txt'));
const load = parseLoadavg(testdata('loadavg.txt'));

const context = (signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => new Date(),
  state: new Map(),
});

/** Keeps one core busy for `ms` in a child process. */
function burnCpu(ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = `const end = Date.now() + ${ms}; while (Date.now() < end) {}`;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
}

describe('reading /proc/stat and /proc/loadavg', () => {
  it('reads the aggregate times and counts the online cores', () => {
    expect(before).toEqual({
      times: {
        user: 45078,
        nice: 0,
        system: 12199,
        idle: 237737,
        iowait: 551,
        irq: 0,
        softirq: 253,
        steal: 16,
      },
      cores: 2,
    });
  });

  it('computes utilisation, iowait and steal from two readings', () => {
    const deltas = counterDeltas(before.times, after.times);
    // 216 user + 4 system ticks out of 439: one of the two cores was busy.
    expect(deltas && cpuUsage(deltas)).toEqual({ usagePercent: 50.11, iowaitPercent: 0, stealPercent: 0 });
  });

  it('has no utilisation when no tick elapsed', () => {
    const deltas = counterDeltas(after.times, after.times);
    expect(deltas && cpuUsage(deltas)).toBeUndefined();
  });

  it('reads the three load averages', () => {
    expect(load).toEqual({ load1: 1.62, load5: 1.09, load15: 0.64 });
  });

  it('refuses files that are not what they should be', () => {
    expect(() => parseProcStat('intr 1 2 3\n')).toThrow(/not a \/proc\/stat file/);
    expect(() => parseLoadavg('MemTotal: 1 kB\n')).toThrow(/not a \/proc\/loadavg file/);
  });
});

describe('judging a CPU reading', () => {
  const deltas = counterDeltas(before.times, after.times);
  const reading = { cores: 2, load, usage: deltas && cpuUsage(deltas) };

  it('reports loads per core and utilisation, ok under the default limits', () => {
    const outcome = judgeCpu(reading, {});
    expect(outcome).toEqual({
      status: 'ok',
      metrics: {
        cores: 2,
        load1: 1.62,
        load5: 1.09,
        load15: 0.64,
        load1_per_core: 0.81,
        load5_per_core: 0.55,
        load15_per_core: 0.32,
        usage_percent: 50.11,
        iowait_percent: 0,
        steal_percent: 0,
      },
      message: 'load5 1.09 (0.55 per core, 2 cores), CPU 50.1% used, iowait 0.0%, steal 0.0%',
    });
  });

  it('judges the 5-minute load per core, and utilisation only when limits are set', () => {
    expect(judgeCpu(reading, { warningLoadPerCore: 0.5 })).toMatchObject({
      status: 'warning',
      message: 'load5 per core 0.55 (warning >= 0.5)',
    });
    expect(judgeCpu({ ...reading, cores: 1 }, { criticalLoadPerCore: 1 }).status).toBe('critical');
    expect(judgeCpu(reading, { warningLoadPerCore: 0.5, criticalPercent: 50 })).toMatchObject({
      status: 'critical',
      message: 'CPU 50.1% used (critical >= 50%)',
    });
  });
});

describe('cpu check on this machine', () => {
  it('is exported by name and by default, with a strict options schema', () => {
    expect(cpuDefault).toBe(cpuCheck);
    expect(cpuCheck.type).toBe('cpu');
    expect(cpuCheck.category).toBe('performance');
    expect(Value.Check(CpuOptionsSchema, { warningLoadPerCore: 1.5, criticalPercent: 95 })).toBe(true);
    expect(Value.Check(CpuOptionsSchema, { warningLoad: 1.5 })).toBe(false);
  });

  it('samples on its first run, then measures the time since the previous run', async () => {
    const ctx = context();
    // Thresholds no load can reach: the machine running the tests is shared, its load is not under test here.
    const options = { warningLoadPerCore: 1000, criticalLoadPerCore: 1000 };
    const t0 = performance.now();
    const first = await cpuCheck.run(options, ctx);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(FIRST_SAMPLE_MS - 5);
    expect(first.status).not.toBe('unknown');
    expect(Value.Check(MetricsSchema, first.metrics)).toBe(true);
    expect(first.metrics.cores).toBeGreaterThanOrEqual(1);

    await burnCpu(600);
    const t1 = performance.now();
    const second = await cpuCheck.run(options, ctx);
    expect(performance.now() - t1).toBeLessThan(FIRST_SAMPLE_MS);
    const cores = second.metrics.cores ?? 1;
    // One core was busy for nearly the whole interval.
    expect(second.metrics.usage_percent).toBeGreaterThan(100 / cores / 2);
    expect(second.message).toMatch(/^load5 \d+\.\d\d \(\d+\.\d\d per core, \d+ cores\), CPU \d+\.\d% used/);
  });

  it('is unknown once its timeout fires, even during the first sample', async () => {
    const aborted = new AbortController();
    aborted.abort();
    expect(await cpuCheck.run({}, context(aborted.signal))).toEqual({
      status: 'unknown',
      metrics: {},
      message: expect.stringMatching(/timed out/),
    });
    const t0 = performance.now();
    const outcome = await cpuCheck.run({}, context(AbortSignal.timeout(50)));
    expect(outcome.status).toBe('unknown');
    expect(performance.now() - t0).toBeLessThan(FIRST_SAMPLE_MS);
  });
});
