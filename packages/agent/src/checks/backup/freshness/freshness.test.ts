import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import freshnessDefault, { backupFreshnessCheck } from './index.js';
import { formatAge, globBase, newestBackup, statBackups } from './newest.js';
import { BackupFreshnessOptionsSchema } from './options.js';

const NOW = new Date('2026-03-10T06:00:00Z');
const HOUR = 3_600_000;
const context = (now = NOW, signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => now,
  state: new Map(),
});

let folder: string;

/** A real file whose modification time is `hoursBeforeNow` before NOW. */
async function backupFile(name: string, hoursBeforeNow: number, content = 'dump'): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, content);
  const mtime = new Date(NOW.getTime() - hoursBeforeNow * HOUR);
  await utimes(path, mtime, mtime);
  return path;
}

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'vigie-backup-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('backup-freshness check', () => {
  it('reports the age, size and count of a fresh backup set as ok', async () => {
    await backupFile('db-2026-03-08.sql.gz', 50);
    await backupFile('db-2026-03-09.sql.gz', 26);
    await backupFile('db-2026-03-10.sql.gz', 3, 'a bigger dump');
    await backupFile('notes.txt', 0);
    const outcome = await backupFreshnessCheck.run({ path: `${folder}/*.sql.gz`, maxAge: '26h' }, context());
    expect(outcome).toEqual({
      status: 'ok',
      metrics: { age_seconds: 3 * 3600, newest_size_bytes: 13, files: 3 },
      message: `newest backup ${folder}/db-2026-03-10.sql.gz is 3h old`,
    });
  });

  it('is warning past warningAge and critical past maxAge', async () => {
    await backupFile('db.sql.gz', 30);
    const path = `${folder}/*.sql.gz`;
    const warning = await backupFreshnessCheck.run({ path, maxAge: '2d', warningAge: '1d' }, context());
    expect(warning.status).toBe('warning');
    expect(warning.message).toBe(`newest backup ${folder}/db.sql.gz is 1d 6h old (warning > 1d)`);
    const critical = await backupFreshnessCheck.run({ path, maxAge: 86_400, warningAge: '12h' }, context());
    expect(critical.status).toBe('critical');
    expect(critical.message).toMatch(/is 1d 6h old \(critical > 1d\)$/);
    expect(critical.metrics.age_seconds).toBe(30 * 3600);
  });

  it('judges the age against the injected clock, not the real one', async () => {
    await backupFile('db.sql.gz', 1);
    const path = `${folder}/*.sql.gz`;
    const weekLater = new Date(NOW.getTime() + 7 * 24 * HOUR);
    expect((await backupFreshnessCheck.run({ path, maxAge: '1d' }, context(NOW))).status).toBe('ok');
    expect((await backupFreshnessCheck.run({ path, maxAge: '1d' }, context(weekLater))).status).toBe(
      'critical',
    );
  });

  it('counts a backup dated in the future as new', async () => {
    await backupFile('db.sql.gz', -2);
    const outcome = await backupFreshnessCheck.run({ path: `${folder}/*.sql.gz`, maxAge: '1h' }, context());
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics.age_seconds).toBe(0);
  });

  it('is critical when no file matches, including folders that merely match the name', async () => {
    await mkdir(join(folder, 'db.sql.gz'));
    await backupFile('db.sql', 1);
    const path = `${folder}/*.sql.gz`;
    const outcome = await backupFreshnessCheck.run({ path, maxAge: '1d' }, context());
    expect(outcome).toEqual({
      status: 'critical',
      metrics: { files: 0 },
      message: `no backup matches ${path}`,
    });
  });

  it('says so when the backup folder does not exist', async () => {
    const path = `${folder}/gone/*.tar.zst`;
    const outcome = await backupFreshnessCheck.run({ path, maxAge: '1d' }, context());
    expect(outcome.status).toBe('critical');
    expect(outcome.message).toBe(`no backup matches ${path} (${folder}/gone does not exist)`);
  });

  it('finds backups in sub-folders with **', async () => {
    await mkdir(join(folder, 'host-a'));
    await backupFile('host-a/etc.tar.gz', 5);
    await backupFile('old.tar.gz', 10);
    const outcome = await backupFreshnessCheck.run(
      { path: `${folder}/**/*.tar.gz`, maxAge: '1d' },
      context(),
    );
    expect(outcome.metrics).toMatchObject({ files: 2, age_seconds: 5 * 3600 });
  });

  it('is unknown, not critical, once its timeout has fired', async () => {
    await backupFile('db.sql.gz', 1);
    const controller = new AbortController();
    controller.abort();
    const outcome = await backupFreshnessCheck.run(
      { path: `${folder}/*.sql.gz`, maxAge: '1d' },
      context(NOW, controller.signal),
    );
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toMatch(/timed out/);
  });

  it('is exported by name and by default, and requires path and maxAge', () => {
    expect(freshnessDefault).toBe(backupFreshnessCheck);
    expect(Value.Check(BackupFreshnessOptionsSchema, { path: '/var/backups/*.gz', maxAge: '24h' })).toBe(
      true,
    );
    expect(Value.Check(BackupFreshnessOptionsSchema, { path: '/var/backups/*.gz' })).toBe(false);
    expect(Value.Check(BackupFreshnessOptionsSchema, { path: 'backups/*.gz', maxAge: '24h' })).toBe(false);
    expect(Value.Check(BackupFreshnessOptionsSchema, { path: '/b/*.gz', maxAge: 'soon' })).toBe(false);
  });
});

describe('newest backup', () => {
  it('skips a file rotated away between the glob and the stat', async () => {
    const kept = await backupFile('a.gz', 2);
    const files = await statBackups([kept, join(folder, 'rotated-away.gz')]);
    expect(files.map((f) => f.path)).toEqual([kept]);
  });

  it('picks the latest modification, then the first name on a tie', () => {
    const newest = newestBackup([
      { path: '/b/2.gz', sizeBytes: 1, modifiedMs: 20 },
      { path: '/b/1.gz', sizeBytes: 1, modifiedMs: 20 },
      { path: '/b/0.gz', sizeBytes: 1, modifiedMs: 10 },
    ]);
    expect(newest?.path).toBe('/b/1.gz');
    expect(newestBackup([])).toBeUndefined();
  });

  it('formats ages with their two largest units', () => {
    expect(formatAge(0)).toBe('0s');
    expect(formatAge(42)).toBe('42s');
    expect(formatAge(423)).toBe('7m 3s');
    expect(formatAge(5 * 3600 + 12 * 60 + 9)).toBe('5h 12m');
    expect(formatAge(3 * 86_400 + 5 * 60)).toBe('3d');
    expect(formatAge(3 * 86_400 + 4 * 3600 + 59)).toBe('3d 4h');
  });

  it('finds the folder a glob starts from', () => {
    expect(globBase('/var/backups/db/*.sql.gz')).toBe('/var/backups/db');
    expect(globBase('/srv/**/dump-{a,b}.gz')).toBe('/srv');
    expect(globBase('/var/backups/latest.tar')).toBe('/var/backups');
    expect(globBase('/*.gz')).toBe('/');
  });
});
