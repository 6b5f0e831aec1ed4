import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import { judgeRetention } from './count.js';
import retentionDefault, { backupRetentionCheck } from './index.js';
import { BackupRetentionOptionsSchema } from './options.js';

const NOW = new Date('2026-03-10T06:00:00Z');
const HOUR = 3_600_000;
const context = (signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => NOW,
  state: new Map(),
});

let folder: string;

async function age(path: string, hoursBeforeNow: number): Promise<void> {
  const mtime = new Date(NOW.getTime() - hoursBeforeNow * HOUR);
  await utimes(path, mtime, mtime);
}

/** A week of nightly dumps, the newest 3h old, plus a stray file the glob must not count. */
async function nightlyDumps(count: number): Promise<void> {
  for (let day = 0; day < count; day++) {
    const path = join(folder, `db-${day}.sql.gz`);
    await writeFile(path, 'dump');
    await age(path, 3 + day * 24);
  }
  await writeFile(join(folder, 'README.txt'), 'not a backup');
}

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'vigie-backup-retention-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('backup-retention check', () => {
  it('counts the kept backups and reports the ages of the newest and the oldest', async () => {
    await nightlyDumps(7);
    const path = `${folder}/*.sql.gz`;
    const outcome = await backupRetentionCheck.run({ path, minCount: 7 }, context());
    expect(outcome).toEqual({
      status: 'ok',
      metrics: { count: 7, newest_age_seconds: 3 * 3600, oldest_age_seconds: (3 + 6 * 24) * 3600 },
      message: `7 backups kept in ${path}, newest 3h old, oldest 6d 3h old`,
    });
  });

  it('is critical below minCount and warning below warningCount', async () => {
    await nightlyDumps(4);
    const path = `${folder}/*.sql.gz`;
    const critical = await backupRetentionCheck.run({ path, minCount: 7 }, context());
    expect(critical.status).toBe('critical');
    expect(critical.message).toBe(
      `4 backups kept in ${path} (critical < 7), newest 3h old, oldest 3d 3h old`,
    );
    const warning = await backupRetentionCheck.run({ path, minCount: 2, warningCount: 5 }, context());
    expect(warning.status).toBe('warning');
    expect(warning.message).toContain('(warning < 5)');
    expect((await backupRetentionCheck.run({ path, minCount: 4, warningCount: 4 }, context())).status).toBe(
      'ok',
    );
  });

  it('is warning above maxCount, when the rotation has stopped pruning', async () => {
    await nightlyDumps(9);
    const outcome = await backupRetentionCheck.run(
      { path: `${folder}/*.sql.gz`, minCount: 3, maxCount: 8 },
      context(),
    );
    expect(outcome.status).toBe('warning');
    expect(outcome.message).toContain('9 backups kept');
    expect(outcome.message).toContain('(warning > 8: is the rotation still pruning?)');
  });

  it('counts folders, not files, with kind: directory', async () => {
    for (const [name, hours] of [
      ['daily.0', 5],
      ['daily.1', 29],
      ['daily.2', 53],
    ] as const) {
      await mkdir(join(folder, name));
      await writeFile(join(folder, name, 'etc.tar'), 'x');
      await age(join(folder, name), hours);
    }
    await writeFile(join(folder, 'daily.lock'), '');
    const path = `${folder}/daily.*`;
    const dirs = await backupRetentionCheck.run({ path, kind: 'directory', minCount: 3 }, context());
    expect(dirs).toEqual({
      status: 'ok',
      metrics: { count: 3, newest_age_seconds: 5 * 3600, oldest_age_seconds: 53 * 3600 },
      message: `3 backup folders kept in ${path}, newest 5h old, oldest 2d 5h old`,
    });
    // The default kind counts only the regular file that happens to match.
    const files = await backupRetentionCheck.run({ path, minCount: 3 }, context());
    expect(files.metrics.count).toBe(1);
    expect(files.status).toBe('critical');
  });

  it('is critical with a count of 0 when nothing matches', async () => {
    const path = `${folder}/*.tar.zst`;
    expect(await backupRetentionCheck.run({ path, minCount: 1 }, context())).toEqual({
      status: 'critical',
      metrics: { count: 0 },
      message: `no backup matches ${path}`,
    });
    const gone = await backupRetentionCheck.run({ path: `${folder}/gone/*`, minCount: 1 }, context());
    expect(gone.message).toBe(`no backup matches ${folder}/gone/* (${folder}/gone does not exist)`);
  });

  it('is unknown once its timeout has fired', async () => {
    await nightlyDumps(2);
    const controller = new AbortController();
    controller.abort(new Error('timed out after 10 ms'));
    const outcome = await backupRetentionCheck.run(
      { path: `${folder}/*.sql.gz`, minCount: 1 },
      context(controller.signal),
    );
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toMatch(/timed out$/);
  });

  it('counts a backup dated in the future as brand new', () => {
    const verdict = judgeRetention(
      [{ path: '/b/x', sizeBytes: 1, modifiedMs: NOW.getTime() + HOUR }],
      { path: '/b/*', minCount: 1 },
      NOW.getTime(),
    );
    expect(verdict.metrics).toEqual({ count: 1, newest_age_seconds: 0, oldest_age_seconds: 0 });
    expect(verdict.message).toBe('1 backup kept in /b/*, newest 0s old, oldest 0s old');
  });

  it('is exported by name and by default, and requires path and minCount', () => {
    expect(retentionDefault).toBe(backupRetentionCheck);
    expect(backupRetentionCheck.type).toBe('backup-retention');
    expect(
      Value.Check(BackupRetentionOptionsSchema, { path: '/b/*.gz', minCount: 7, warningCount: 10 }),
    ).toBe(true);
    expect(Value.Check(BackupRetentionOptionsSchema, { path: '/b/*', kind: 'directory', minCount: 3 })).toBe(
      true,
    );
    expect(Value.Check(BackupRetentionOptionsSchema, { path: '/b/*.gz' })).toBe(false);
    expect(Value.Check(BackupRetentionOptionsSchema, { path: '/b/*.gz', minCount: 0 })).toBe(false);
    expect(Value.Check(BackupRetentionOptionsSchema, { path: '/b/*', kind: 'symlink', minCount: 1 })).toBe(
      false,
    );
  });
});
