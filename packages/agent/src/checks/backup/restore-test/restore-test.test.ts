import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBinary } from '../../../../../../test/support/packages.js';
import type { CheckContext } from '../../types.js';
import { runToCompletion } from './command.js';
import restoreTestDefault, { RESTORE_FOLDER_PREFIX, restoreTestCheck } from './index.js';
import { RestoreTestOptionsSchema } from './options.js';
import { restoredLocation } from './restore.js';

const run = promisify(execFile);
const PASSWORD = 'correct horse battery staple';
const context = (signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => new Date(),
  state: new Map(),
});

let folder: string;
/** Where the check makes its restore folders in most tests, so leftovers are easy to see. */
let workDir: string;
let src: string;
let liveConf: string;
let passwordFile: string;
let restic: string;
let borg: string;
let resticRepo: string;
let borgRepo: string;

/** The real sha256sum of a file, as an operator would put it in expectSha256. */
async function sha256sum(path: string): Promise<string> {
  const { stdout } = await run('sha256sum', [path]);
  return stdout.split(' ')[0] ?? '';
}

/** Builds the backups the tests restore from: real repositories made by the real tools. */
async function buildRepositories(): Promise<void> {
  const resticEnv = { ...process.env, RESTIC_REPOSITORY: resticRepo, RESTIC_PASSWORD_FILE: passwordFile };
  await run(restic, ['init'], { env: resticEnv });
  await run(restic, ['backup', src, '--host', 'web-01'], { env: resticEnv });
  const borgEnv = { ...process.env, BORG_PASSPHRASE: PASSWORD };
  await run(borg, ['init', '--encryption=repokey', borgRepo], { env: borgEnv });
  await run(borg, ['create', `${borgRepo}::web-01-{now}`, src], { env: borgEnv });
}

/** The names of the restore folders currently in `dir`. */
async function restoreFolders(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith(RESTORE_FOLDER_PREFIX));
}

beforeAll(async () => {
  [restic, borg] = [await ensureBinary('restic', 'restic'), await ensureBinary('borg', 'borgbackup')];
  folder = await mkdtemp(join(tmpdir(), 'vigie-restore-test-'));
  process.env.RESTIC_CACHE_DIR = join(folder, 'restic-cache');
  process.env.BORG_BASE_DIR = join(folder, 'borg-home');
  passwordFile = join(folder, 'password');
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  src = join(folder, 'src');
  await mkdir(join(src, 'etc'), { recursive: true });
  liveConf = join(src, 'etc', 'app.conf');
  await writeFile(liveConf, 'listen = 8080\nworkers = 4\n');
  await writeFile(join(src, 'dump.sql'), 'INSERT INTO t VALUES (1);\n'.repeat(500));
  resticRepo = join(folder, 'restic-repo');
  borgRepo = join(folder, 'borg-repo');
  await buildRepositories();
  await mkdir(join(folder, 'archives'));
  // An older archive with other contents, then the newest one: the newest must be the one restored.
  await run('tar', ['-czf', join(folder, 'archives', 'etc-0309.tar.gz'), '-C', src, './dump.sql']);
  const old = new Date(Date.now() - 86_400_000);
  await utimes(join(folder, 'archives', 'etc-0309.tar.gz'), old, old);
  await run('tar', ['-czf', join(folder, 'archives', 'etc-0310.tar.gz'), '-C', src, '.']);
}, 600_000);
afterAll(async () => {
  delete process.env.RESTIC_CACHE_DIR;
  delete process.env.BORG_BASE_DIR;
  await rm(folder, { recursive: true, force: true });
});
beforeEach(async () => {
  workDir = await mkdtemp(join(folder, 'work-'));
});
afterEach(async () => {
  // Whatever the test, the check must have removed its restore folder.
  expect(await restoreFolders(workDir)).toEqual([]);
  await rm(workDir, { recursive: true, force: true });
});

describe('restore-test from tar archives', () => {
  const archives = () => `${folder}/archives/*.tar.gz`;

  it('restores a file from the newest archive and matches it with the live file and its known SHA-256', async () => {
    const expectSha256 = await sha256sum(liveConf);
    const outcome = await restoreTestCheck.run(
      {
        source: {
          kind: 'tar',
          path: archives(),
          member: './etc/app.conf',
          compareWith: liveConf,
          expectSha256,
        },
        workDir,
      },
      context(),
    );
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics).toEqual({
      restore_seconds: expect.any(Number),
      restored_bytes: 26,
      hash_match: 1,
    });
    expect(outcome.message).toMatch(
      new RegExp(
        `^restored \\./etc/app\\.conf from ${folder}/archives/etc-0310\\.tar\\.gz \\(26 B in \\d+\\.\\ds\\), SHA-256 matches expectSha256 and ${liveConf}$`,
      ),
    );
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
  });

  it('uses the system temp folder by default and leaves no restore folder there', async () => {
    const before = await restoreFolders(tmpdir());
    const outcome = await restoreTestCheck.run(
      { source: { kind: 'tar', path: archives(), member: './etc/app.conf' } },
      context(),
    );
    expect(outcome.status).toBe('ok');
    expect(outcome.message).toMatch(/, not compared \(no expectSha256 or compareWith\)$/);
    expect(outcome.metrics.hash_match).toBeUndefined();
    const after = await restoreFolders(tmpdir());
    expect(after.filter((name) => !before.includes(name))).toEqual([]);
  });

  it('is critical when the file is not in the archive', async () => {
    const outcome = await restoreTestCheck.run(
      { source: { kind: 'tar', path: archives(), member: 'etc/app.conf' }, workDir },
      context(),
    );
    expect(outcome).toEqual({
      status: 'critical',
      metrics: {},
      message: `cannot restore etc/app.conf from ${folder}/archives/etc-0310.tar.gz: tar: etc/app.conf: Not found in archive`,
    });
  });

  it('is critical when the restored file differs from the live file or the expected SHA-256', async () => {
    const changed = join(folder, 'changed.conf');
    await writeFile(changed, 'listen = 9090\nworkers = 4\n');
    const outcome = await restoreTestCheck.run(
      {
        source: {
          kind: 'tar',
          path: archives(),
          member: './etc/app.conf',
          compareWith: changed,
          expectSha256: 'A'.repeat(64),
        },
        workDir,
      },
      context(),
    );
    expect(outcome.status).toBe('critical');
    expect(outcome.metrics).toMatchObject({ hash_match: 0, restored_bytes: 26 });
    expect(outcome.message).toMatch(/, but its SHA-256 differs from expectSha256 and .*\/changed\.conf$/);
  });

  it('is critical for a damaged archive or a member that is a folder', async () => {
    const damaged = join(folder, 'damaged');
    await mkdir(damaged);
    await run('tar', ['-czf', join(damaged, 'etc.tar.gz'), '-C', src, '.']);
    await truncate(join(damaged, 'etc.tar.gz'), 100);
    const cut = await restoreTestCheck.run(
      { source: { kind: 'tar', path: `${damaged}/*.tar.gz`, member: './etc/app.conf' }, workDir },
      context(),
    );
    expect(cut.status).toBe('critical');
    expect(cut.message).toMatch(
      /^cannot restore \.\/etc\/app\.conf from .*etc\.tar\.gz: gzip: stdin: unexpected end of file$/,
    );

    const dir = await restoreTestCheck.run(
      { source: { kind: 'tar', path: archives(), member: './etc' }, workDir },
      context(),
    );
    expect(dir.status).toBe('critical');
    expect(dir.message).toMatch(/^restored \.\/etc from .* is not a regular file$/);
  });

  it('is critical when no archive matches, unknown when the live file to compare with is missing', async () => {
    const none = await restoreTestCheck.run(
      { source: { kind: 'tar', path: `${folder}/archives/*.tar.zst`, member: 'a' }, workDir },
      context(),
    );
    expect(none).toEqual({
      status: 'critical',
      metrics: {},
      message: `no backup matches ${folder}/archives/*.tar.zst`,
    });
    const gone = join(folder, 'gone.conf');
    const outcome = await restoreTestCheck.run(
      { source: { kind: 'tar', path: archives(), member: './etc/app.conf', compareWith: gone }, workDir },
      context(),
    );
    expect(outcome.status).toBe('unknown');
    expect(outcome.metrics.restored_bytes).toBe(26);
    expect(outcome.message).toMatch(new RegExp(`, but cannot read ${gone}: ENOENT`));
  });

  it('refuses a member that would land outside the restore folder, before restoring anything', async () => {
    const outcome = await restoreTestCheck.run(
      { source: { kind: 'tar', path: archives(), member: 'etc/../../passwd' }, workDir },
      context(),
    );
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: 'member etc/../../passwd does not name a file inside the backup',
    });
  });

  it('is unknown when the work folder does not exist', async () => {
    const missing = join(folder, 'no-such-work-dir');
    const outcome = await restoreTestCheck.run(
      { source: { kind: 'tar', path: archives(), member: './etc/app.conf' }, workDir: missing },
      context(),
    );
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toMatch(new RegExp(`^cannot make a restore folder in ${missing}: ENOENT`));
  });

  it('cleans up when its timeout fired before the restore started', async () => {
    const controller = new AbortController();
    controller.abort(new Error('timed out after 10 ms'));
    const outcome = await restoreTestCheck.run(
      { source: { kind: 'tar', path: archives(), member: './etc/app.conf' }, workDir },
      context(controller.signal),
    );
    expect(outcome).toEqual({ status: 'unknown', metrics: {}, message: 'restore test timed out' });
  });
});

describe('restore-test from a restic repository', () => {
  const source = () => ({ kind: 'restic' as const, repository: resticRepo, passwordFile, binary: restic });

  it('restores a file from the latest snapshot and matches it with the live file', async () => {
    const outcome = await restoreTestCheck.run(
      { source: { ...source(), member: liveConf, compareWith: liveConf }, workDir },
      context(),
    );
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics).toMatchObject({ restored_bytes: 26, hash_match: 1 });
    expect(outcome.message).toContain(
      `restored ${liveConf} from the latest snapshot in ${resticRepo} (26 B in`,
    );
    expect(JSON.stringify(outcome)).not.toContain(PASSWORD);
  });

  it('is critical when the file is not in the snapshot, or the snapshot of that host does not exist', async () => {
    const missing = join(src, 'etc', 'missing.conf');
    const outcome = await restoreTestCheck.run(
      { source: { ...source(), member: missing }, workDir },
      context(),
    );
    expect(outcome).toEqual({
      status: 'critical',
      metrics: {},
      message: `${missing} is not in the latest snapshot in ${resticRepo}`,
    });
    const otherHost = await restoreTestCheck.run(
      { source: { ...source(), member: liveConf, host: 'db-01' }, workDir },
      context(),
    );
    expect(otherHost.status).toBe('critical');
    expect(otherHost.message).toBe(
      `cannot restore ${liveConf} from the latest snapshot of host db-01 in ${resticRepo}: latest snapshot for criteria not found: no snapshot found Paths:[] Hosts:[db-01]`,
    );
  });

  it('is critical when the restored file differs from the live file', async () => {
    const other = join(src, 'dump.sql');
    const outcome = await restoreTestCheck.run(
      { source: { ...source(), member: liveConf, compareWith: other }, workDir },
      context(),
    );
    expect(outcome).toMatchObject({ status: 'critical', metrics: { hash_match: 0 } });
  });

  it('is critical with restic own reason when the repository cannot be opened', async () => {
    const wrong = join(folder, 'wrong-password');
    await writeFile(wrong, 'not the password\n');
    const outcome = await restoreTestCheck.run(
      { source: { ...source(), passwordFile: wrong, member: liveConf }, workDir },
      context(),
    );
    expect(outcome.status).toBe('critical');
    expect(outcome.message).toBe(
      `cannot restore ${liveConf} from the latest snapshot in ${resticRepo}: Fatal: wrong password or no key found`,
    );
  });

  it('is unknown when restic is not installed', async () => {
    const absent = join(folder, 'bin', 'restic');
    const outcome = await restoreTestCheck.run(
      { source: { ...source(), binary: absent, member: liveConf }, workDir },
      context(),
    );
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: `restic is not installed (${absent} not found)`,
    });
  });

  it('stops restic and removes its folder when the timeout fires during the restore', async () => {
    // A local server that accepts restic's requests and never answers: the restore hangs until aborted.
    const server: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('timed out after 500 ms')), 500);
      const outcome = await restoreTestCheck.run(
        {
          source: { ...source(), repository: `rest:http://127.0.0.1:${port}/repo`, member: liveConf },
          workDir,
        },
        context(controller.signal),
      );
      expect(outcome).toEqual({ status: 'unknown', metrics: {}, message: 'restore test timed out' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('restore-test from a borg repository', () => {
  const source = () => ({ kind: 'borg' as const, repository: borgRepo, passwordFile, binary: borg });

  it('restores a file from the latest archive and matches it with the live file', async () => {
    const outcome = await restoreTestCheck.run(
      { source: { ...source(), member: liveConf, compareWith: liveConf }, workDir },
      context(),
    );
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics).toMatchObject({ restored_bytes: 26, hash_match: 1 });
    expect(outcome.message).toMatch(
      new RegExp(`^restored ${liveConf} from archive web-01-\\S+ of ${borgRepo} \\(26 B in`),
    );
    expect(JSON.stringify(outcome)).not.toContain(PASSWORD);
  });

  it('is critical when the file is not in the archive', async () => {
    const member = `${src.slice(1)}/etc/missing.conf`;
    const outcome = await restoreTestCheck.run({ source: { ...source(), member }, workDir }, context());
    expect(outcome.status).toBe('critical');
    expect(outcome.message).toMatch(
      new RegExp(
        `^${member} is not in archive web-01-\\S+ of ${borgRepo}: Include pattern '${member}' never matched\\.$`,
      ),
    );
  });

  it('is critical when the restored file differs, or when the repository cannot be opened', async () => {
    const differs = await restoreTestCheck.run(
      { source: { ...source(), member: liveConf, expectSha256: '0'.repeat(64) }, workDir },
      context(),
    );
    expect(differs).toMatchObject({ status: 'critical', metrics: { hash_match: 0 } });
    expect(differs.message).toMatch(/, but its SHA-256 differs from expectSha256$/);

    const wrong = join(folder, 'wrong-passphrase');
    await writeFile(wrong, 'nope\n');
    const locked = await restoreTestCheck.run(
      { source: { ...source(), passwordFile: wrong, member: liveConf }, workDir },
      context(),
    );
    expect(locked.status).toBe('critical');
    expect(locked.message).toBe(
      `cannot list the archives of ${borgRepo}: passphrase supplied in BORG_PASSPHRASE, by BORG_PASSCOMMAND or via BORG_PASSPHRASE_FD is incorrect.`,
    );
  });

  it('is critical when no archive matches archiveGlob, unknown when borg is not installed', async () => {
    const none = await restoreTestCheck.run(
      { source: { ...source(), member: liveConf, archiveGlob: 'db-*' }, workDir },
      context(),
    );
    expect(none).toEqual({
      status: 'critical',
      metrics: {},
      message: `no archive to restore from in ${borgRepo}`,
    });
    const absent = join(folder, 'bin', 'borg');
    const outcome = await restoreTestCheck.run(
      { source: { ...source(), binary: absent, member: liveConf }, workDir },
      context(),
    );
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: `borg is not installed (${absent} not found)`,
    });
  });
});

describe('restore-test pieces', () => {
  it('keeps members inside the restore folder', () => {
    expect(restoredLocation('./etc/app.conf')).toBe('etc/app.conf');
    expect(restoredLocation('/etc/nginx/nginx.conf')).toBe('etc/nginx/nginx.conf');
    expect(restoredLocation('var/lib/../db.sql')).toBe('var/db.sql');
    expect(restoredLocation('../etc/passwd')).toBeUndefined();
    expect(restoredLocation('/..')).toBeUndefined();
    expect(restoredLocation('./')).toBeUndefined();
  });

  it('kills a tool that ignores SIGTERM once the grace period is over, then reports the abort', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const running = runToCompletion('sh', ['-c', 'trap "" TERM; sleep 30 & wait'], {
      signal: controller.signal,
      killGraceMs: 200,
    });
    setTimeout(() => controller.abort(new Error('timed out after 100 ms')), 100);
    await expect(running).rejects.toThrow('timed out after 100 ms');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('is exported by name and by default, and takes one source of each kind', () => {
    expect(restoreTestDefault).toBe(restoreTestCheck);
    expect(restoreTestCheck.type).toBe('restore-test');
    expect(restoreTestCheck.category).toBe('backup');
    const valid = [
      { kind: 'tar', path: '/var/backups/etc-*.tar.gz', member: './etc/hosts', compareWith: '/etc/hosts' },
      {
        kind: 'restic',
        repository: 'sftp:nas:/restic',
        passwordFile: '/etc/vigie/restic.pass',
        member: '/etc/hosts',
      },
      { kind: 'borg', repository: '/srv/borg', member: 'etc/hosts', expectSha256: 'ab'.repeat(32) },
    ];
    for (const source of valid) expect(Value.Check(RestoreTestOptionsSchema, { source })).toBe(true);
    const invalid = [
      { kind: 'tar', path: '/b/*.tar', member: 'x', repository: '/srv/borg' },
      { kind: 'restic', repository: '/r', member: '/etc/hosts' },
      { kind: 'restic', repository: '/r', passwordFile: '/p', member: 'etc/hosts' },
      { kind: 'borg', repository: '/srv/borg', member: 'etc/hosts', expectSha256: 'abc' },
      { kind: 'zip', path: '/b/*.zip', member: 'x' },
    ];
    for (const source of invalid) expect(Value.Check(RestoreTestOptionsSchema, { source })).toBe(false);
    expect(Value.Check(RestoreTestOptionsSchema, { source: valid[0], workDir: 'tmp' })).toBe(false);
  });
});
