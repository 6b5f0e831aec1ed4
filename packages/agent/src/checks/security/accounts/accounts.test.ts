import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCheck } from '../../../../../../test/support/built-check.js';
import { ensureBinary } from '../../../../../../test/support/packages.js';
import type { CheckContext } from '../../types.js';
import { emptyPasswords, extraUid0, parsePasswd, parseShadow } from './databases.js';
import accountsDefault, { accountsCheck } from './index.js';
import { AccountsOptionsSchema } from './options.js';

const run = promisify(execFile);
const testdataPath = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const testdata = (name: string) => readFileSync(testdataPath(name), 'utf8');
const context = (): CheckContext => ({
  signal: new AbortController().signal,
  now: () => new Date(),
  state: new Map(),
});

describe('passwd and shadow parsing', () => {
  it("reads this machine's real databases: only root has UID 0, every password locked", () => {
    const passwd = parsePasswd(testdata('passwd-debian12.txt'));
    expect(passwd).toHaveLength(33);
    expect(passwd[0]).toEqual({ name: 'root', uid: 0, emptyPassword: false });
    expect(extraUid0(passwd, ['root'])).toEqual([]);
    const shadow = parseShadow(testdata('shadow-debian12-locked-only.txt'));
    expect(shadow).toHaveLength(33);
    expect(new Set(shadow.map((e) => e.state))).toEqual(new Set(['locked']));
    expect(emptyPasswords(passwd, shadow)).toEqual([]);
  });

  it('finds the UID 0 and empty password accounts useradd and usermod made', () => {
    // `useradd --prefix <dir> -o -u 0 -g 0 toor`, `useradd --prefix <dir> deploy`, `usermod --prefix <dir> -p '' deploy`.
    const passwd = parsePasswd(testdata('passwd-useradd-toor-deploy.txt'));
    const shadow = parseShadow(testdata('shadow-useradd-toor-deploy.txt'));
    expect(extraUid0(passwd, ['root'])).toEqual(['toor']);
    expect(extraUid0(passwd, ['root', 'toor'])).toEqual([]);
    expect(shadow.find((e) => e.name === 'deploy')).toEqual({ name: 'deploy', state: 'empty' });
    expect(emptyPasswords(passwd, shadow)).toEqual(['deploy']);
  });

  it('takes an empty passwd field as no password, and never keeps a hash', () => {
    const passwd = parsePasswd('# comment\nguest::1002:1002::/home/guest:/bin/sh\n+@netgroup::::::\n');
    expect(passwd).toEqual([{ name: 'guest', uid: 1002, emptyPassword: true }]);
    expect(emptyPasswords(passwd, undefined)).toEqual(['guest']);
    const shadow = parseShadow('alice:$y$j9T$salt$hash:20000:0:99999:7:::\n');
    expect(shadow).toEqual([{ name: 'alice', state: 'set' }]);
  });
});

describe('accounts check', () => {
  let folder: string;

  /** A copy of this machine's databases under `<folder>/<name>/etc`, changed with the real shadow tools. */
  async function databases(name: string, change: (prefix: string) => Promise<void>) {
    const prefix = join(folder, name);
    await mkdir(join(prefix, 'etc'), { recursive: true });
    for (const file of ['passwd', 'shadow', 'group', 'gshadow'])
      await copyFile(`/etc/${file}`, join(prefix, 'etc', file));
    await change(prefix);
    return { passwdFile: join(prefix, 'etc', 'passwd'), shadowFile: join(prefix, 'etc', 'shadow') };
  }

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'vigie-accounts-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('is ok on this machine', async () => {
    const outcome = await accountsCheck.run({}, context());
    expect(outcome.status).toBe('ok');
    expect(outcome.message).toMatch(/^\d+ accounts: no UID 0 account besides root, no empty password$/);
    expect(outcome.metrics).toMatchObject({ uid0_extra: 0, empty_passwords: 0 });
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
  });

  it('is critical for an extra UID 0 account and an empty password, naming them without any hash', async () => {
    const useradd = await ensureBinary('useradd', 'passwd');
    const usermod = await ensureBinary('usermod', 'passwd');
    const files = await databases('bad', async (prefix) => {
      await run(useradd, ['--prefix', prefix, '-o', '-u', '0', '-g', '0', '-M', 'toor']);
      await run(useradd, ['--prefix', prefix, '-M', 'deploy']);
      await run(usermod, ['--prefix', prefix, '-p', '', 'deploy']);
      await run(useradd, ['--prefix', prefix, '-M', 'alice']);
      await run(usermod, ['--prefix', prefix, '-p', '$6$vigie$not.a.real.hash', 'alice']);
    });
    const outcome = await accountsCheck.run(files, context());
    expect(outcome).toEqual({
      status: 'critical',
      metrics: { accounts: expect.any(Number), uid0_extra: 1, empty_passwords: 1 },
      message: 'UID 0 besides root: toor; empty password: deploy',
    });
    expect(outcome.message).not.toContain('$6$');
    expect((await accountsCheck.run({ ...files, allowUid0: ['root', 'toor'] }, context())).message).toBe(
      'empty password: deploy',
    );
  });

  // Root reads /etc/shadow whatever its mode, so the check runs as `nobody` in a child process when the
  // tests run as root (it imports the built plugin, which `npm test` builds first).
  it('is unknown for the password part when shadow is unreadable, and still checks UID 0', async () => {
    const asNobody = (options: object) =>
      runBuiltCheck({
        module: fileURLToPath(new URL('../../../../dist/checks/security/accounts/index.js', import.meta.url)),
        check: 'accountsCheck',
        options,
        asNobody: true,
      });
    // The captured passwd file, where nobody may read it (the checkout may be in a folder it cannot enter).
    const shared = await mkdtemp(join(tmpdir(), 'vigie-accounts-'));
    await chmod(shared, 0o755);
    const passwd = join(shared, 'passwd');
    await copyFile(testdataPath('passwd-useradd-toor-deploy.txt'), passwd);
    await chmod(passwd, 0o644);
    const real = await asNobody({});
    expect(real).toEqual({
      status: 'unknown',
      metrics: { accounts: expect.any(Number), uid0_extra: 0 },
      message:
        "cannot read /etc/shadow (EACCES: permission denied, open '/etc/shadow'): empty passwords not checked; " +
        'no UID 0 account besides root',
    });
    // An extra UID 0 account is critical even when shadow cannot be read.
    const captured = await asNobody({
      passwdFile: passwd,
      shadowFile: '/etc/shadow',
    });
    expect(captured.status).toBe('critical');
    expect(captured.message).toMatch(/^UID 0 besides root: toor \(cannot read \/etc\/shadow \(EACCES/);
  });

  it('is unknown when passwd cannot be read', async () => {
    const outcome = await accountsCheck.run({ passwdFile: join(folder, 'missing') }, context());
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toMatch(/^cannot read .*missing: ENOENT/);
  });

  it('is exported by name and by default, with a strict options schema', () => {
    expect(accountsDefault).toBe(accountsCheck);
    expect(accountsCheck.type).toBe('accounts');
    expect(Value.Check(AccountsOptionsSchema, { allowUid0: ['root', 'toor'] })).toBe(true);
    expect(Value.Check(AccountsOptionsSchema, { passwdFile: 'passwd' })).toBe(false);
    expect(Value.Check(AccountsOptionsSchema, { allowRoot: [] })).toBe(false);
  });
});
