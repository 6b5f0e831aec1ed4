import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import { ensureBinary } from '../../../../../../test/support/packages.js';
import type { CheckContext } from '../../types.js';
import memoryDefault, { memoryCheck } from './index.js';
import { memoryUsage, parseMeminfo } from './meminfo.js';
import { MemoryOptionsSchema } from './options.js';
import { judgeMemory } from './verdict.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
// This VM's /proc/meminfo: 24 GiB, no swap.
const noSwap = testdata('meminfo-no-swap.txt');
// The same VM with a 256 MiB swap file, while a process capped at 32 MiB by a memory cgroup held 120 MiB.
const withSwap = testdata('meminfo-swap.txt');
const KIB = 1024;

const context = (signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => new Date(),
  state: new Map(),
});

describe('reading /proc/meminfo', () => {
  it('reads kB values as bytes and page counts as they are', () => {
    const fields = parseMeminfo(noSwap);
    expect(fields.get('MemTotal')).toBe(24684084 * KIB);
    expect(fields.get('Active(anon)')).toBeTypeOf('number');
    expect(fields.get('HugePages_Total')).toBe(0);
  });

  it('counts memory the kernel cannot reclaim as used, and no swap as 0%', () => {
    expect(memoryUsage(parseMeminfo(noSwap))).toEqual({
      totalBytes: 24684084 * KIB,
      availableBytes: 23621632 * KIB,
      usedPercent: 4.3,
      swapTotalBytes: 0,
      swapUsedPercent: 0,
    });
  });

  it('measures swap in use', () => {
    const usage = memoryUsage(parseMeminfo(withSwap));
    expect(usage.swapTotalBytes).toBe(262140 * KIB);
    expect(usage.swapUsedPercent).toBe(38.41);
  });

  it('estimates available memory on kernels without MemAvailable', () => {
    // Older kernels (before 3.14) lack the line: the real capture without it stands for one.
    const old = noSwap.replace(/^MemAvailable:.*\n/m, '');
    expect(memoryUsage(parseMeminfo(old)).usedPercent).toBe(3.34);
  });

  it('refuses a file without MemTotal', () => {
    expect(() => memoryUsage(parseMeminfo('cpu  1 2 3 4\n'))).toThrow(/not a \/proc\/meminfo file/);
  });
});

describe('judging memory', () => {
  it('is ok with every metric and a short summary', () => {
    expect(judgeMemory(memoryUsage(parseMeminfo(withSwap)), {})).toEqual({
      status: 'ok',
      metrics: {
        used_percent: 4,
        available_bytes: 23695932 * KIB,
        total_bytes: 24684084 * KIB,
        swap_used_percent: 38.41,
        swap_total_bytes: 262140 * KIB,
      },
      message: 'memory 4.0% used (22.6 GiB available of 23.5 GiB), swap 38.4% used',
    });
    expect(judgeMemory(memoryUsage(parseMeminfo(noSwap)), {}).message).toMatch(/, no swap$/);
  });

  it('takes the worse of memory and swap', () => {
    const usage = memoryUsage(parseMeminfo(withSwap));
    expect(judgeMemory(usage, { swapWarningPercent: 30 })).toMatchObject({
      status: 'warning',
      message: 'swap 38.4% used (warning >= 30%)',
    });
    expect(judgeMemory(usage, { swapWarningPercent: 30, criticalPercent: 4 })).toMatchObject({
      status: 'critical',
      message: 'memory 4.0% used (critical >= 4%)',
    });
    expect(judgeMemory(memoryUsage(parseMeminfo(noSwap)), { swapCriticalPercent: 0 }).status).toBe('ok');
  });
});

describe('memory check on this machine', () => {
  it('is exported by name and by default, with a strict options schema', () => {
    expect(memoryDefault).toBe(memoryCheck);
    expect(memoryCheck.type).toBe('memory');
    expect(Value.Check(MemoryOptionsSchema, { warningPercent: 80, swapCriticalPercent: 90 })).toBe(true);
    expect(Value.Check(MemoryOptionsSchema, { warningPercent: 180 })).toBe(false);
    expect(Value.Check(MemoryOptionsSchema, { swapWarning: 10 })).toBe(false);
  });

  it("agrees with free(1)'s total and available memory", async () => {
    const free = await ensureBinary('free', 'procps');
    const outcome = await memoryCheck.run({}, context());
    const { stdout } = await promisify(execFile)(free, ['-b']);
    const [, total, , , , , available] = (stdout.split('\n')[1] ?? '').trim().split(/\s+/).map(Number);
    expect(outcome.status).not.toBe('unknown');
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
    expect(outcome.metrics.total_bytes).toBe(total);
    // Memory moves between the two reads: allow 64 MiB.
    expect(Math.abs((outcome.metrics.available_bytes ?? 0) - (available ?? 0))).toBeLessThan(64 * 1024 * KIB);
  });

  it('is critical when memory use passes the critical limit', async () => {
    const outcome = await memoryCheck.run({ warningPercent: 0, criticalPercent: 0 }, context());
    expect(outcome.status).toBe('critical');
    expect(outcome.message).toMatch(/^memory \d+\.\d% used \(critical >= 0%\)$/);
  });

  it('is unknown once its timeout has fired', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const outcome = await memoryCheck.run({}, context(aborted.signal));
    expect(outcome).toEqual({ status: 'unknown', metrics: {}, message: expect.stringMatching(/timed out/) });
  });
});
