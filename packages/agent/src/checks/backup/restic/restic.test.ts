import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBinary } from '../../../../../../test/support/packages.js';
import type { CheckContext } from '../../types.js';
import resticDefault, { resticCheck } from './index.js';
import { ResticOptionsSchema } from './options.js';
import { redactCredentials, resticEnvironment, resticReason } from './repository.js';
import { latestSnapshot, parseSnapshots } from './snapshots.js';

const run = promisify(execFile);
const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const DAY_MS = 86_400_000;
const PASSWORD = 'correct horse battery staple';
const context = (now = new Date(), signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => now,
  state: new Map(),
});

let folder: string;
let restic: string;
let passwordFile: string;
let repository: string;

/** Runs the real restic on a test repository, the password given through a file as the check does. */
async function resticOn(repo: string, args: string[]): Promise<string> {
  const env = { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: passwordFile };
  const { stdout } = await run(restic, args, { env });
  return stdout;
}

beforeAll(async () => {
  restic = await ensureBinary('restic', 'restic');
  folder = await mkdtemp(join(tmpdir(), 'vigie-restic-'));
  // Keep restic's cache out of the home folder of whoever runs the tests.
  process.env.RESTIC_CACHE_DIR = join(folder, 'cache');
  passwordFile = join(folder, 'password');
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  const src = join(folder, 'src');
  await mkdir(src);
  await writeFile(join(src, 'app.conf'), 'listen = 8080\n');
  repository = join(folder, 'repo');
  await resticOn(repository, ['init']);
  await resticOn(repository, ['backup', src, '--host', 'web-01', '--tag', 'nightly']);
  await resticOn(repository, ['backup', src, '--host', 'db-01']);
}, 600_000);
afterAll(async () => {
  delete process.env.RESTIC_CACHE_DIR;
  await rm(folder, { recursive: true, force: true });
});

describe('restic check', () => {
  it('reports the age of the latest snapshot of a real repository', async () => {
    const outcome = await resticCheck.run(
      { repository, passwordFile, maxAge: '1d', binary: restic },
      context(),
    );
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics.snapshots).toBe(2);
    expect(outcome.metrics.latest_age_seconds).toBeLessThan(600);
    expect(outcome.message).toMatch(
      new RegExp(`^latest snapshot [0-9a-f]{8} of ${repository} is .* old \\(2 snapshots\\)$`),
    );
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
    expect(JSON.stringify(outcome)).not.toContain(PASSWORD);
  });

  it('is warning past warningAge and critical past maxAge', async () => {
    const twoDaysLater = new Date(Date.now() + 2 * DAY_MS);
    const options = { repository, passwordFile, binary: restic };
    const warning = await resticCheck.run(
      { ...options, maxAge: '3d', warningAge: '1d' },
      context(twoDaysLater),
    );
    expect(warning.status).toBe('warning');
    expect(warning.message).toContain('old (warning > 1d)');
    const critical = await resticCheck.run({ ...options, maxAge: '36h' }, context(twoDaysLater));
    expect(critical.status).toBe('critical');
    expect(critical.message).toMatch(/is 2d old \(critical > 1d 12h\) \(2 snapshots\)$/);
    expect(critical.metrics.latest_age_seconds).toBeGreaterThanOrEqual(2 * 86_400 - 600);
  });

  it('filters by host and tag, and is critical when no snapshot matches', async () => {
    const options = { repository, passwordFile, binary: restic, maxAge: '1d' };
    expect((await resticCheck.run({ ...options, host: 'web-01' }, context())).metrics.snapshots).toBe(1);
    expect((await resticCheck.run({ ...options, tag: 'nightly' }, context())).metrics.snapshots).toBe(1);
    const none = await resticCheck.run({ ...options, host: 'db-01', tag: 'nightly' }, context());
    expect(none).toEqual({
      status: 'critical',
      metrics: { snapshots: 0 },
      message: `no snapshot for host db-01, tag nightly in ${repository}`,
    });
  });

  it('is critical for a repository without any snapshot', async () => {
    const empty = join(folder, 'empty');
    await resticOn(empty, ['init']);
    const outcome = await resticCheck.run(
      { repository: empty, passwordFile, binary: restic, maxAge: '1d' },
      context(),
    );
    expect(outcome).toEqual({
      status: 'critical',
      metrics: { snapshots: 0 },
      message: `no snapshot in ${empty}`,
    });
  });

  it('is unknown with restic own reason when the repository cannot be opened', async () => {
    const wrong = join(folder, 'wrong-password');
    await writeFile(wrong, 'not the password\n');
    const denied = await resticCheck.run(
      { repository, passwordFile: wrong, binary: restic, maxAge: '1d' },
      context(),
    );
    expect(denied).toEqual({
      status: 'unknown',
      metrics: {},
      message: `cannot list the snapshots of ${repository}: Fatal: wrong password or no key found`,
    });
    expect(denied.message).not.toContain('not the password');

    const nowhere = join(folder, 'no-repo');
    const missing = await resticCheck.run(
      { repository: nowhere, passwordFile, binary: restic, maxAge: '1d' },
      context(),
    );
    expect(missing.status).toBe('unknown');
    expect(missing.message).toBe(
      `cannot list the snapshots of ${nowhere}: Fatal: unable to open config file: stat ${nowhere}/config: no such file or directory`,
    );
  });

  it('never shows the password of a repository URL', async () => {
    // Port 9 (discard) on the loopback: nothing listens, so restic fails right away with the URL in its error.
    const url = 'rest:http://backup:s3cr3t-pass@127.0.0.1:9/repo';
    const outcome = await resticCheck.run(
      { repository: url, passwordFile, binary: restic, maxAge: '1d' },
      context(),
    );
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toContain('rest:http://backup:***@127.0.0.1:9/repo');
    expect(outcome.message).not.toContain('s3cr3t-pass');
  });

  it('is unknown when restic is not installed or the password file is missing', async () => {
    const absent = join(folder, 'bin', 'restic');
    const notInstalled = await resticCheck.run(
      { repository, passwordFile, binary: absent, maxAge: '1d' },
      context(),
    );
    expect(notInstalled).toEqual({
      status: 'unknown',
      metrics: {},
      message: `restic is not installed (${absent} not found)`,
    });
    const noPassword = join(folder, 'nope');
    const outcome = await resticCheck.run(
      { repository, passwordFile: noPassword, binary: restic, maxAge: '1d' },
      context(),
    );
    expect(outcome.message).toBe(
      `cannot read the password file: ENOENT: no such file or directory, access '${noPassword}'`,
    );
  });

  it('is unknown once its timeout has fired', async () => {
    const controller = new AbortController();
    controller.abort(new Error('timed out after 10 ms'));
    const outcome = await resticCheck.run(
      { repository, passwordFile, binary: restic, maxAge: '1d' },
      context(new Date(), controller.signal),
    );
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: `cannot list the snapshots of ${repository}: timed out`,
    });
  });

  it('is exported by name and by default, and requires repository, passwordFile and maxAge', () => {
    expect(resticDefault).toBe(resticCheck);
    expect(resticCheck.type).toBe('restic');
    expect(resticCheck.category).toBe('backup');
    const valid = { repository: 'sftp:nas:/restic', passwordFile: '/etc/vigie/restic.pass', maxAge: '26h' };
    expect(Value.Check(ResticOptionsSchema, valid)).toBe(true);
    expect(
      Value.Check(ResticOptionsSchema, { ...valid, host: 'web-01', tag: 'nightly', warningAge: 3600 }),
    ).toBe(true);
    expect(Value.Check(ResticOptionsSchema, { ...valid, passwordFile: 'restic.pass' })).toBe(false);
    expect(Value.Check(ResticOptionsSchema, { ...valid, password: 'hunter2' })).toBe(false);
    expect(Value.Check(ResticOptionsSchema, { repository: '/srv/restic', passwordFile: '/p' })).toBe(false);
  });
});

describe('restic snapshot list', () => {
  it('reads the JSON of restic 0.14 and finds the latest snapshot', () => {
    const snapshots = parseSnapshots(testdata('snapshots-restic-0.14.json'));
    expect(snapshots.map((s) => [s.shortId, s.hostname])).toEqual([
      ['391ea8d1', 'vigie-test'],
      ['cc1a1f58', 'vigie-test'],
      ['38c0f1c7', 'db-01'],
    ]);
    expect(latestSnapshot(snapshots)).toEqual({
      id: '38c0f1c713d35fa8e9e96b16d66dd9d3c6d81743e44bb2b6602525af297b06a5',
      shortId: '38c0f1c7',
      timeMs: Date.UTC(2026, 10, 28, 13, 4, 50, 406),
      hostname: 'db-01',
      files: undefined,
      bytes: undefined,
    });
    expect(parseSnapshots(testdata('snapshots-empty-repo-restic-0.14.json'))).toEqual([]);
    expect(latestSnapshot([])).toBeUndefined();
  });

  it('flattens the groups of --group-by, whatever their order', () => {
    const grouped = parseSnapshots(testdata('snapshots-group-by-host-restic-0.14.json'));
    expect(grouped).toHaveLength(3);
    expect(latestSnapshot(grouped)?.shortId).toBe('38c0f1c7');
  });

  it('reads the summary restic 0.17+ stores in each snapshot', () => {
    // restic 0.14 (Debian 12) stores no summary: the captured list is given the `summary` object newer
    // versions write (field names from restic's SnapshotSummary), to test that the check picks it up.
    const [first] = JSON.parse(testdata('snapshots-restic-0.14.json')) as Record<string, unknown>[];
    const withSummary = [
      { ...first, summary: { total_files_processed: 1234, total_bytes_processed: 56_789 } },
    ];
    expect(parseSnapshots(JSON.stringify(withSummary))[0]).toMatchObject({ files: 1234, bytes: 56_789 });
  });

  it('refuses what is not a snapshot list', () => {
    expect(() => parseSnapshots('{"message":"x"}')).toThrow('did not print a list');
    expect(() => parseSnapshots('[{"time":"yesterday","id":"ab"}]')).toThrow('unreadable time');
  });
});

describe('restic environment', () => {
  it('passes the repository and password file, and drops what restic would combine with them', () => {
    const env = resticEnvironment(
      { repository: '/srv/restic', passwordFile: '/etc/vigie/restic.pass' },
      {
        PATH: '/usr/bin',
        RESTIC_PASSWORD: 'x',
        RESTIC_PASSWORD_COMMAND: 'pass show',
        RESTIC_REPOSITORY_FILE: '/r',
      },
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      RESTIC_REPOSITORY: '/srv/restic',
      RESTIC_PASSWORD_FILE: '/etc/vigie/restic.pass',
      LC_ALL: 'C',
    });
  });

  it('keeps the line that says what failed, without credentials', () => {
    expect(redactCredentials('s3:https://key:secret@s3.example.org/bucket')).toBe(
      's3:https://key:***@s3.example.org/bucket',
    );
    expect(redactCredentials('sftp:backup@nas:/srv/restic')).toBe('sftp:backup@nas:/srv/restic');
    expect(resticReason('unable to open cache: x\nFatal: wrong password or no key found\n')).toBe(
      'Fatal: wrong password or no key found',
    );
    expect(resticReason('\n')).toBeUndefined();
  });
});
