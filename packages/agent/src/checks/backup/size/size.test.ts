import { mkdtemp, rm, statfs, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import { formatBytes } from '../files.js';
import sizeDefault, { backupSizeCheck } from './index.js';
import { BackupSizeOptionsSchema, resolveBackupSizeOptions } from './options.js';
import { changePercent, judgeSize, updateMemory, worstComparison } from './shrink.js';

const NOW = new Date('2026-03-10T06:00:00Z');
const HOUR = 3_600_000;
/** The free space of the backup folder's filesystem: measured, so any number. */
const FREE = expect.any(Number);
const context = (
  state = new Map<string, unknown>(),
  signal = new AbortController().signal,
): CheckContext => ({
  signal,
  now: () => NOW,
  state,
});

let folder: string;

/** A real backup file of `bytes` bytes, modified `hoursBeforeNow` before NOW. */
async function backupFile(name: string, bytes: number, hoursBeforeNow: number): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, Buffer.alloc(bytes, 0x61));
  const mtime = new Date(NOW.getTime() - hoursBeforeNow * HOUR);
  await utimes(path, mtime, mtime);
  return path;
}

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'vigie-backup-size-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('backup-size check', () => {
  it('compares the newest backup with the second-newest from the very first run', async () => {
    await backupFile('db-0308.sql.gz', 900, 50);
    const previous = await backupFile('db-0309.sql.gz', 1000, 26);
    const newest = await backupFile('db-0310.sql.gz', 1050, 2);
    const outcome = await backupSizeCheck.run({ path: `${folder}/*.sql.gz` }, context());
    expect(outcome).toEqual({
      status: 'ok',
      metrics: { size_bytes: 1050, previous_size_bytes: 1000, change_percent: 5, target_free_bytes: FREE },
      message: `newest backup ${newest} is 1.0 KiB, +5.0% from 1000 B of previous backup ${previous}`,
    });
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
  });

  it('reports the free space of the filesystem the backups are on, as df does', async () => {
    await backupFile('db-0310.sql.gz', 1000, 2);
    const before = await statfs(folder);
    const outcome = await backupSizeCheck.run({ path: `${folder}/*.sql.gz` }, context());
    const after = await statfs(folder);
    const free = outcome.metrics.target_free_bytes as number;
    // Other writers share the filesystem: the figure lies between the two measurements around the run.
    const bounds = [before.bavail * before.bsize, after.bavail * after.bsize].sort((a, b) => a - b);
    expect(free).toBeGreaterThanOrEqual((bounds[0] as number) - 64 * 1024 * 1024);
    expect(free).toBeLessThanOrEqual((bounds[1] as number) + 64 * 1024 * 1024);
    expect(free).toBeGreaterThan(0);
  });

  it('is warning past warningShrinkPercent and critical past maxShrinkPercent', async () => {
    await backupFile('db-0309.sql.gz', 1000, 26);
    await backupFile('db-0310.sql.gz', 850, 2);
    const path = `${folder}/*.sql.gz`;
    const warning = await backupSizeCheck.run({ path }, context());
    expect(warning.status).toBe('warning');
    expect(warning.metrics.change_percent).toBe(-15);
    expect(warning.message).toMatch(
      /is 850 B, shrunk 15\.0% from 1000 B of previous backup .* \(warning > 10%\)$/,
    );

    const critical = await backupSizeCheck.run({ path, maxShrinkPercent: 12 }, context());
    expect(critical.status).toBe('critical');
    expect(critical.message).toMatch(/\(critical > 12%\)$/);
    expect((await backupSizeCheck.run({ path, warningShrinkPercent: 15 }, context())).status).toBe('ok');
  });

  it('is critical when the newest backup shrank by more than 20% by default', async () => {
    await backupFile('etc-1.tar.gz', 10_000, 30);
    await backupFile('etc-2.tar.gz', 7_000, 6);
    const outcome = await backupSizeCheck.run({ path: `${folder}/etc-*.tar.gz` }, context());
    expect(outcome.status).toBe('critical');
    expect(outcome.metrics).toEqual({
      size_bytes: 7000,
      previous_size_bytes: 10_000,
      change_percent: -30,
      target_free_bytes: FREE,
    });
  });

  it('is critical when the newest backup is empty or below minBytes', async () => {
    await backupFile('db-0309.sql.gz', 0, 26);
    const empty = await backupFile('db-0310.sql.gz', 0, 2);
    const path = `${folder}/*.sql.gz`;
    const outcome = await backupSizeCheck.run({ path }, context());
    expect(outcome).toEqual({
      status: 'critical',
      metrics: { size_bytes: 0, previous_size_bytes: 0, target_free_bytes: FREE },
      message: `newest backup ${empty} is empty (0 B)`,
    });
    await backupFile('db-0310.sql.gz', 500, 1);
    const small = await backupSizeCheck.run({ path, minBytes: 1024 }, context());
    expect(small.status).toBe('critical');
    expect(small.message).toMatch(/is 500 B \(critical < 1\.0 KiB\)$/);
    // Growing from an empty backup is no shrink: there is no percentage to give.
    expect(await backupSizeCheck.run({ path }, context())).toMatchObject({
      status: 'ok',
      metrics: { size_bytes: 500, previous_size_bytes: 0 },
    });
  });

  it('is ok with nothing to compare on the first run of a single backup', async () => {
    const only = await backupFile('latest.tar.gz', 2048, 1);
    const outcome = await backupSizeCheck.run({ path: `${folder}/*.tar.gz` }, context());
    expect(outcome).toEqual({
      status: 'ok',
      metrics: { size_bytes: 2048, target_free_bytes: FREE },
      message: `newest backup ${only} is 2.0 KiB (no previous backup to compare with)`,
    });
  });

  it('remembers the size between runs when a backup is rewritten in place', async () => {
    const state = new Map<string, unknown>();
    const path = `${folder}/latest.tar.gz`;
    await backupFile('latest.tar.gz', 1000, 24);
    expect((await backupSizeCheck.run({ path }, context(state))).metrics).toEqual({
      size_bytes: 1000,
      target_free_bytes: FREE,
    });

    await backupFile('latest.tar.gz', 500, 1);
    const shrunk = await backupSizeCheck.run({ path }, context(state));
    expect(shrunk.status).toBe('critical');
    expect(shrunk.metrics).toEqual({
      size_bytes: 500,
      previous_size_bytes: 1000,
      change_percent: -50,
      target_free_bytes: FREE,
    });
    expect(shrunk.message).toContain('shrunk 50.0% from 1000 B seen at an earlier run (critical > 20%)');

    // Until the next backup, the same shrink is reported again rather than forgotten.
    expect((await backupSizeCheck.run({ path }, context(state))).status).toBe('critical');

    await backupFile('latest.tar.gz', 990, 0);
    expect(await backupSizeCheck.run({ path }, context(state))).toMatchObject({
      status: 'ok',
      metrics: { size_bytes: 990, previous_size_bytes: 500, change_percent: 98 },
    });
  });

  it('is critical when no backup matches, and names a missing folder', async () => {
    await backupFile('notes.txt', 10, 1);
    const outcome = await backupSizeCheck.run({ path: `${folder}/*.sql.gz` }, context());
    expect(outcome).toEqual({
      status: 'critical',
      metrics: {},
      message: `no backup matches ${folder}/*.sql.gz`,
    });
    const gone = await backupSizeCheck.run({ path: `${folder}/gone/*.gz` }, context());
    expect(gone.message).toBe(`no backup matches ${folder}/gone/*.gz (${folder}/gone does not exist)`);
  });

  it('is unknown, not critical, once its timeout has fired', async () => {
    await backupFile('db.sql.gz', 10, 1);
    const controller = new AbortController();
    controller.abort(new Error('timed out after 10 ms'));
    const outcome = await backupSizeCheck.run(
      { path: `${folder}/*.sql.gz` },
      context(new Map(), controller.signal),
    );
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: `cannot list ${folder}/*.sql.gz: timed out`,
    });
  });

  it('is exported by name and by default, with documented defaults', () => {
    expect(sizeDefault).toBe(backupSizeCheck);
    expect(backupSizeCheck.type).toBe('backup-size');
    expect(backupSizeCheck.category).toBe('backup');
    expect(resolveBackupSizeOptions({ path: '/b/*.gz' })).toEqual({
      path: '/b/*.gz',
      minBytes: 1,
      maxShrinkPercent: 20,
      warningShrinkPercent: 10,
    });
    expect(Value.Check(BackupSizeOptionsSchema, { path: '/b/*.gz', maxShrinkPercent: 30 })).toBe(true);
    expect(Value.Check(BackupSizeOptionsSchema, { path: 'b/*.gz' })).toBe(false);
    expect(Value.Check(BackupSizeOptionsSchema, { path: '/b/*.gz', maxShrinkPercent: 120 })).toBe(false);
    expect(Value.Check(BackupSizeOptionsSchema, { path: '/b/*.gz', minBytes: 1.5 })).toBe(false);
  });
});

describe('size comparison', () => {
  const file = (path: string, sizeBytes: number, modifiedMs = 0) => ({ path, sizeBytes, modifiedMs });

  it('forgets nothing while the newest file stays the same', () => {
    const first = updateMemory(undefined, file('/b/a', 100, 1));
    expect(first).toEqual({ newest: file('/b/a', 100, 1) });
    const changed = updateMemory(first, file('/b/a', 40, 2));
    expect(changed).toEqual({ newest: file('/b/a', 40, 2), previousSizeBytes: 100 });
    expect(updateMemory(changed, file('/b/a', 40, 2))).toBe(changed);
    expect(updateMemory(changed, file('/b/b', 40, 2))).toEqual({
      newest: file('/b/b', 40, 2),
      previousSizeBytes: 40,
    });
  });

  it('reports the comparison that shrinks the most', () => {
    const newest = file('/b/3', 50);
    const worst = worstComparison(newest, file('/b/2', 60), { newest, previousSizeBytes: 100 });
    expect(worst).toEqual({ previousSizeBytes: 100, changePercent: -50, against: 'seen at an earlier run' });
    expect(worstComparison(newest, undefined, { newest })).toBeUndefined();
    expect(changePercent(10, 0)).toBeUndefined();
  });

  it('needs a shrink strictly past the limit', () => {
    const options = resolveBackupSizeOptions({ path: '/b/*' });
    const at = (changePct: number) =>
      judgeSize(file('/b/x', 80), { previousSizeBytes: 100, changePercent: changePct, against: 'x' }, options)
        .status;
    expect(at(-20)).toBe('warning');
    expect(at(-20.1)).toBe('critical');
    expect(at(-10)).toBe('ok');
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });
});
