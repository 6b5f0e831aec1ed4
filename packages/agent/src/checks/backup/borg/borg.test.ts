import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBinary } from '../../../../../../test/support/packages.js';
import type { CheckContext } from '../../types.js';
import { latestArchive, parseArchives } from './archives.js';
import borgDefault, { borgCheck } from './index.js';
import { BorgOptionsSchema } from './options.js';
import { borgEnvironment, borgReason, shellQuote } from './repository.js';

const run = promisify(execFile);
const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const DAY_MS = 86_400_000;
const PASSPHRASE = "correct horse 'battery' staple";
const WRONG_PASSPHRASE =
  'passphrase supplied in BORG_PASSPHRASE, by BORG_PASSCOMMAND or via BORG_PASSPHRASE_FD is incorrect.';
const context = (now = new Date(), signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => now,
  state: new Map(),
});

let folder: string;
let borg: string;
let passwordFile: string;
let repository: string;
let src: string;

/** Runs the real borg as a backup script would, the passphrase in BORG_PASSPHRASE. */
async function borgOn(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run(borg, args, { env: { ...process.env, BORG_PASSPHRASE: PASSPHRASE, ...env } });
  return stdout;
}

beforeAll(async () => {
  borg = await ensureBinary('borg', 'borgbackup');
  folder = await mkdtemp(join(tmpdir(), 'vigie-borg-'));
  // Borg keeps per-repository security data and caches under BORG_BASE_DIR: keep them out of $HOME.
  process.env.BORG_BASE_DIR = join(folder, 'borg-home');
  // The passphrase has a quote and spaces: BORG_PASSCOMMAND must quote the file name, not the passphrase.
  passwordFile = join(folder, "pass word's file");
  await writeFile(passwordFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  src = join(folder, 'src');
  await mkdir(src);
  await writeFile(join(src, 'app.conf'), 'listen = 8080\n');
  repository = join(folder, 'repo');
  await borgOn(['init', '--encryption=repokey', repository]);
  await borgOn(['create', `${repository}::web-01-{now}`, src]);
  await borgOn(['create', `${repository}::db-01-{now}`, src]);
}, 600_000);
afterAll(async () => {
  delete process.env.BORG_BASE_DIR;
  await rm(folder, { recursive: true, force: true });
});

describe('borg check', () => {
  it('reports the age of the latest archive of a real encrypted repository', async () => {
    const outcome = await borgCheck.run({ repository, passwordFile, maxAge: '1d', binary: borg }, context());
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics.archives).toBe(2);
    expect(outcome.metrics.latest_age_seconds).toBeLessThan(600);
    expect(outcome.message).toMatch(
      new RegExp(`^latest archive db-01-[0-9T:-]+ of ${repository} is .* old \\(2 archives\\)$`),
    );
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
    expect(JSON.stringify(outcome)).not.toContain('battery');
  });

  it('is warning past warningAge and critical past maxAge', async () => {
    const twoDaysLater = new Date(Date.now() + 2 * DAY_MS);
    const options = { repository, passwordFile, binary: borg };
    const warning = await borgCheck.run(
      { ...options, maxAge: '3d', warningAge: '1d' },
      context(twoDaysLater),
    );
    expect(warning.status).toBe('warning');
    expect(warning.message).toContain('old (warning > 1d)');
    const critical = await borgCheck.run({ ...options, maxAge: '36h' }, context(twoDaysLater));
    expect(critical.status).toBe('critical');
    expect(critical.message).toMatch(/is 2d old \(critical > 1d 12h\) \(2 archives\)$/);
  });

  it('only counts the archives matching archiveGlob, and is critical when none does', async () => {
    const options = { repository, passwordFile, binary: borg, maxAge: '1d' };
    const web = await borgCheck.run({ ...options, archiveGlob: 'web-01-*' }, context());
    expect(web.metrics.archives).toBe(1);
    expect(web.message).toMatch(/^latest archive web-01-/);
    expect(await borgCheck.run({ ...options, archiveGlob: 'mail-*' }, context())).toEqual({
      status: 'critical',
      metrics: { archives: 0 },
      message: `no archive matching mail-* in ${repository}`,
    });
  });

  it('is critical for a repository without any archive', async () => {
    const empty = join(folder, 'empty');
    await borgOn(['init', '--encryption=repokey', empty]);
    const outcome = await borgCheck.run(
      { repository: empty, passwordFile, binary: borg, maxAge: '1d' },
      context(),
    );
    expect(outcome).toEqual({
      status: 'critical',
      metrics: { archives: 0 },
      message: `no archive in ${empty}`,
    });
  });

  it('reads an unencrypted repository it has never seen, even after it moved', async () => {
    const plain = join(folder, 'plain');
    // Made with another BORG_BASE_DIR: to the agent's borg this repository is unknown.
    const elsewhere = { BORG_BASE_DIR: join(folder, 'other-home') };
    await borgOn(['init', '--encryption=none', plain], elsewhere);
    await borgOn(['create', `${plain}::etc`, src], elsewhere);
    const first = await borgCheck.run({ repository: plain, binary: borg, maxAge: '1d' }, context());
    expect(first).toMatchObject({ status: 'ok', metrics: { archives: 1 } });
    const moved = join(folder, 'plain-moved');
    await rename(plain, moved);
    const after = await borgCheck.run({ repository: moved, binary: borg, maxAge: '1d' }, context());
    expect(after).toMatchObject({ status: 'ok', metrics: { archives: 1 } });
  });

  it('is unknown, without waiting for a passphrase, when the repository cannot be opened', async () => {
    const wrong = join(folder, 'wrong');
    await writeFile(wrong, 'not the passphrase\n');
    const options = { repository, binary: borg, maxAge: '1d' };
    expect(await borgCheck.run({ ...options, passwordFile: wrong }, context())).toEqual({
      status: 'unknown',
      metrics: {},
      message: `cannot list the archives of ${repository}: ${WRONG_PASSPHRASE}`,
    });
    // No passwordFile at all: an empty passphrase is tried instead of a prompt nobody would answer.
    const none = await borgCheck.run(options, context());
    expect(none.message).toBe(`cannot list the archives of ${repository}: ${WRONG_PASSPHRASE}`);

    const nowhere = join(folder, 'no-repo');
    const missing = await borgCheck.run({ ...options, repository: nowhere, passwordFile }, context());
    expect(missing.message).toBe(
      `cannot list the archives of ${nowhere}: Repository ${nowhere} does not exist.`,
    );
  });

  it('is unknown while another borg holds the repository lock', async () => {
    const locked = join(folder, 'locked');
    await borgOn(['init', '--encryption=repokey', locked]);
    const holder: ChildProcess = spawn(borg, ['with-lock', locked, 'sleep', '60'], {
      env: { ...process.env, BORG_PASSPHRASE: PASSPHRASE },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    try {
      await waitFor(() =>
        stat(join(locked, 'lock.exclusive')).then(
          () => true,
          () => false,
        ),
      );
      const outcome = await borgCheck.run(
        { repository: locked, passwordFile, binary: borg, maxAge: '1d' },
        context(),
      );
      expect(outcome.status).toBe('unknown');
      expect(outcome.message).toBe(
        `cannot list the archives of ${locked}: Failed to create/acquire the lock ${locked}/lock.exclusive (timeout).`,
      );
    } finally {
      holder.kill('SIGTERM');
      await exited;
    }
  });

  it('is unknown when borg is not installed or the password file is missing', async () => {
    const absent = join(folder, 'bin', 'borg');
    expect(
      await borgCheck.run({ repository, passwordFile, binary: absent, maxAge: '1d' }, context()),
    ).toEqual({
      status: 'unknown',
      metrics: {},
      message: `borg is not installed (${absent} not found)`,
    });
    const gone = join(folder, 'gone');
    const outcome = await borgCheck.run(
      { repository, passwordFile: gone, binary: borg, maxAge: '1d' },
      context(),
    );
    expect(outcome.message).toBe(
      `cannot read the password file: ENOENT: no such file or directory, access '${gone}'`,
    );
  });

  it('is unknown once its timeout has fired', async () => {
    const controller = new AbortController();
    controller.abort(new Error('timed out after 10 ms'));
    const outcome = await borgCheck.run(
      { repository, passwordFile, binary: borg, maxAge: '1d' },
      context(new Date(), controller.signal),
    );
    expect(outcome.message).toBe(`cannot list the archives of ${repository}: timed out`);
  });

  it('is exported by name and by default, and requires repository and maxAge', () => {
    expect(borgDefault).toBe(borgCheck);
    expect(borgCheck.type).toBe('borg');
    expect(borgCheck.category).toBe('backup');
    expect(Value.Check(BorgOptionsSchema, { repository: 'ssh://backup@nas/./borg', maxAge: '26h' })).toBe(
      true,
    );
    expect(
      Value.Check(BorgOptionsSchema, { repository: '/srv/borg', passwordFile: 'pass', maxAge: '1d' }),
    ).toBe(false);
    expect(Value.Check(BorgOptionsSchema, { repository: '/srv/borg' })).toBe(false);
    expect(Value.Check(BorgOptionsSchema, { repository: '/srv/borg', maxAge: '1d', passphrase: 'x' })).toBe(
      false,
    );
  });
});

/** Polls `condition` every 50 ms for up to 10 s. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await sleep(50);
  }
  throw new Error('condition not met within 10 s');
}

describe('borg archive list', () => {
  it('reads the JSON of borg 1.2.4 and finds the latest archive', () => {
    const archives = parseArchives(testdata('list-borg-1.2.4.json'));
    expect(archives.map((a) => a.name)).toEqual([
      'first',
      'second-2026-11-28T12:58:12',
      'db-01-2026-11-28T13:06:28',
    ]);
    expect(latestArchive(archives)?.name).toBe('db-01-2026-11-28T13:06:28');
    expect(parseArchives(testdata('list-last-1-borg-1.2.4.json'))).toHaveLength(1);
    expect(parseArchives(testdata('list-empty-repo-borg-1.2.4.json'))).toEqual([]);
    expect(parseArchives(testdata('list-unencrypted-borg-1.2.4.json'))[0]?.name).toBe('plain');
    expect(latestArchive([])).toBeUndefined();
  });

  it('takes the archive borg lists last when two share the same second', () => {
    const tie = [
      { name: 'web-01', timeMs: 1000 },
      { name: 'db-01', timeMs: 1000 },
    ];
    expect(latestArchive(tie)?.name).toBe('db-01');
  });

  it('reads borg 1.x times, which carry no zone, as local time', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'Europe/Paris';
    try {
      const [first] = parseArchives(testdata('list-borg-1.2.4.json'));
      // 12:58:11 in Paris (UTC+1 in November) is 11:58:11 UTC.
      expect(first?.timeMs).toBe(Date.UTC(2026, 10, 28, 11, 58, 11));
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('refuses what is not an archive list', () => {
    expect(() => parseArchives('[]')).toThrow('printed no archive list');
    expect(() => parseArchives('{"archives":[{"name":"a","time":"soon"}]}')).toThrow('unreadable time');
  });
});

describe('borg environment', () => {
  it('gives the repository and a passphrase command, and drops the other passphrase sources', () => {
    const env = borgEnvironment(
      { repository: 'ssh://backup@nas/./borg', passwordFile: "/etc/vigie/it's.pass" },
      { PATH: '/usr/bin', BORG_PASSPHRASE: 'x', BORG_PASSPHRASE_FD: '3' },
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      BORG_REPO: 'ssh://backup@nas/./borg',
      BORG_PASSCOMMAND: `cat -- '/etc/vigie/it'\\''s.pass'`,
      BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
      BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
    });
  });

  it('keeps a passphrase source of the agent, or sets an empty passphrase rather than prompting', () => {
    expect(
      borgEnvironment({ repository: '/r' }, { BORG_PASSCOMMAND: 'pass show borg' }).BORG_PASSPHRASE,
    ).toBe(undefined);
    expect(borgEnvironment({ repository: '/r' }, {}).BORG_PASSPHRASE).toBe('');
  });

  it('quotes words for a POSIX shell split and keeps the first line of an error', () => {
    expect(shellQuote('/a b/c')).toBe("'/a b/c'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(borgReason('\nRepository /x does not exist.\n')).toBe('Repository /x does not exist.');
  });
});
