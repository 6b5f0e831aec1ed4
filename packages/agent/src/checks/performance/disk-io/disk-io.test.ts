import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import { ratesByInstance } from '../counters.js';
import { parseDiskstats, selectDisks } from './diskstats.js';
import diskIoDefault, { diskIoCheck } from './index.js';
import { DISK_IO_DEFAULTS, DiskIoOptionsSchema } from './options.js';
import { diskRates, judgeDisks } from './verdict.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
// This VM's /proc/diskstats before and after dd wrote then read back 150 MiB with O_DIRECT.
const before = parseDiskstats(testdata('diskstats-1.txt'));
const after = parseDiskstats(testdata('diskstats-2.txt'));
// A loop device with a GPT of two partitions (sfdisk, losetup, partx) and the matching /sys/block listing.
const withPartitions = parseDiskstats(testdata('diskstats-loop-partitions.txt'));
const sysBlock = new Set(testdata('sys-block.txt').trim().split('\n'));
const defaultExclude = new RegExp(DISK_IO_DEFAULTS.excludeDevices);
const MIB = 1024 * 1024;
const limits = { warning: 80, critical: 95 };

/** A context whose clock moves by `stepMs` at each run. */
function steppingContext(stepMs: number, signal = new AbortController().signal): CheckContext {
  let now = Date.UTC(2026, 0, 1);
  return {
    signal,
    now: () => {
      now += stepMs;
      return new Date(now);
    },
    state: new Map(),
  };
}

describe('reading /proc/diskstats', () => {
  it('reads the counters of every device, in bytes', () => {
    expect(before.vda).toEqual({
      reads: 114463,
      writes: 46092,
      readBytes: 5402978 * 512,
      writtenBytes: 4877688 * 512,
      busyMs: 10756,
    });
    expect(Object.keys(before)).toHaveLength(10);
  });

  it('keeps whole disks only, and leaves out loop, RAM and optical devices by default', () => {
    expect(Object.keys(selectDisks(before, sysBlock, defaultExclude))).toEqual(['vda']);
    const loops = selectDisks(withPartitions, sysBlock, /^(ram|zram)\d*/);
    expect(Object.keys(loops)).toContain('loop0');
    expect(Object.keys(loops)).not.toContain('loop0p1');
    // Without /sys/block a partition cannot be told from a disk: everything not excluded is kept.
    expect(Object.keys(selectDisks(withPartitions, undefined, /^(ram|zram)\d*/))).toContain('loop0p1');
  });

  it('refuses text that is not a diskstats file', () => {
    expect(() => parseDiskstats('MemTotal: 1 kB\n')).toThrow(/line 1/);
  });
});

describe('rates between two readings', () => {
  const disks = (stats: typeof before) => selectDisks(stats, sysBlock, defaultExclude);

  it('gives throughput, IOPS and busy time per second', () => {
    const rates = ratesByInstance(
      { atMs: 0, values: disks(before) },
      { atMs: 2000, values: disks(after) },
      diskRates,
    );
    expect(rates.get('vda')).toEqual({
      readBytesPerSecond: (307248 * 512) / 2,
      writeBytesPerSecond: (307200 * 512) / 2,
      readsPerSecond: 1201.5,
      writesPerSecond: 75,
      busyPercent: 10.8,
    });
  });

  it('takes a new baseline when counters went down (reset) or the clock did not move', () => {
    const [older, newer] = [disks(before), disks(after)];
    expect(ratesByInstance({ atMs: 0, values: newer }, { atMs: 2000, values: older }, diskRates).size).toBe(
      0,
    );
    expect(
      ratesByInstance({ atMs: 2000, values: older }, { atMs: 2000, values: newer }, diskRates).size,
    ).toBe(0);
    // A disk that appeared since the previous run has no rate yet.
    const rates = ratesByInstance({ atMs: 0, values: {} }, { atMs: 2000, values: newer }, diskRates);
    expect(rates.size).toBe(0);
  });

  it('judges the busiest disk, naming the limit passed', () => {
    const current = disks(after);
    const rates = ratesByInstance(
      { atMs: 0, values: disks(before) },
      { atMs: 2000, values: current },
      diskRates,
    );
    expect(judgeDisks(current, rates, limits)).toMatchObject({
      status: 'ok',
      message: '1 disk(s) ok, busiest vda 10.8% busy (read 75.0 MiB/s, write 75.0 MiB/s)',
    });
    expect(judgeDisks(current, rates, { warning: 10, critical: 95 })).toMatchObject({
      status: 'warning',
      message: 'vda 10.8% busy (warning >= 10%; read 75.0 MiB/s, write 75.0 MiB/s)',
    });
    const outcome = judgeDisks(current, rates, { warning: 5, critical: 10 });
    expect(outcome.status).toBe('critical');
    expect(outcome.metrics).toMatchObject({
      'busy_percent@vda': 10.8,
      'reads_per_second@vda': 1201.5,
      'writes_per_second@vda': 75,
      'write_bytes_total@vda': 307200 * 512 + 4877688 * 512,
    });
  });

  it('reports only the counters, as ok, on the first run', () => {
    expect(judgeDisks(disks(before), new Map(), limits)).toEqual({
      status: 'ok',
      metrics: {
        'reads_total@vda': 114463,
        'writes_total@vda': 46092,
        'read_bytes_total@vda': 5402978 * 512,
        'write_bytes_total@vda': 4877688 * 512,
        'busy_ms_total@vda': 10756,
      },
      message: 'baseline taken for 1 disk(s)',
    });
  });
});

describe('disk-io check on this machine', () => {
  it('is exported by name and by default, with a strict options schema', () => {
    expect(diskIoDefault).toBe(diskIoCheck);
    expect(diskIoCheck.type).toBe('disk-io');
    expect(Value.Check(DiskIoOptionsSchema, { excludeDevices: '^loop', busyWarningPercent: 70 })).toBe(true);
    expect(Value.Check(DiskIoOptionsSchema, { devices: ['sda'] })).toBe(false);
  });

  it('takes a baseline, then sees what a real write put on the disks', async () => {
    const ctx = steppingContext(2000);
    const first = await diskIoCheck.run({}, ctx);
    expect(first).toMatchObject({
      status: 'ok',
      message: expect.stringMatching(/^baseline taken for \d+ disk/),
    });

    const folder = await mkdtemp('/var/tmp/vigie-disk-io-');
    try {
      const file = join(folder, 'data');
      await promisify(execFile)('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', 'count=16', 'conv=fsync']);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    const second = await diskIoCheck.run({ busyWarningPercent: 100, busyCriticalPercent: 100 }, ctx);
    expect(second.status).toBe('ok');
    expect(Value.Check(MetricsSchema, second.metrics)).toBe(true);
    const written = Object.entries(second.metrics)
      .filter(([name]) => name.startsWith('write_bytes_per_second@'))
      .reduce((sum, [, perSecond]) => sum + perSecond * 2, 0);
    expect(written).toBeGreaterThanOrEqual(16 * MIB);
    expect(second.message).toMatch(/^\d+ disk\(s\) ok, busiest \S+ \d+\.\d% busy/);
  });

  it('is unknown for a bad expression or when every disk is excluded', async () => {
    expect(await diskIoCheck.run({ excludeDevices: '(' }, steppingContext(1000))).toMatchObject({
      status: 'unknown',
      message: expect.stringMatching(/^invalid option excludeDevices: Invalid regular expression/),
    });
    expect(await diskIoCheck.run({ excludeDevices: '.' }, steppingContext(1000))).toEqual({
      status: 'unknown',
      metrics: {},
      message: 'no disk left once excludeDevices is applied',
    });
  });

  it('is unknown once its timeout has fired', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const outcome = await diskIoCheck.run({}, steppingContext(1000, aborted.signal));
    expect(outcome).toEqual({ status: 'unknown', metrics: {}, message: expect.stringMatching(/timed out/) });
  });
});
