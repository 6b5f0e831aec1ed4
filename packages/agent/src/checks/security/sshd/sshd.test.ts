import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
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
import sshdDefault, { sshdCheck } from './index.js';
import { DEFAULT_SSHD_POLICY, SshdOptionsSchema } from './options.js';
import { checkPolicy, describeViolation, parseSshdT, violationsStatus } from './policy.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
// `sshd -T` of Debian 12's stock sshd_config (openssh-server 1:9.2p1-2+deb12u10), run as root.
const debianDefault = parseSshdT(testdata('sshd-T-debian12-default.txt'));
// `sshd -T -f <config>` with PermitRootLogin yes and PasswordAuthentication yes (UsePAM left off).
const rootPassword = parseSshdT(testdata('sshd-T-root-password-allowed.txt'));
const context = (): CheckContext => ({
  signal: new AbortController().signal,
  now: () => new Date(),
  state: new Map(),
});

describe('parseSshdT', () => {
  it('reads every keyword of a real sshd -T output, repeated ones included', () => {
    expect(debianDefault.get('permitrootlogin')).toEqual(['without-password']);
    expect(debianDefault.get('maxauthtries')).toEqual(['6']);
    expect(debianDefault.get('acceptenv')).toEqual(['LANG', 'LC_*']);
    expect(debianDefault.get('hostkey')).toHaveLength(3);
    expect(debianDefault.get('subsystem')).toEqual(['sftp /usr/lib/openssh/sftp-server']);
  });
});

describe('checkPolicy', () => {
  it("finds the stock Debian config's weaknesses against the default policy", () => {
    const violations = checkPolicy(debianDefault, DEFAULT_SSHD_POLICY);
    // Debian's stock config allows passwords and X11 forwarding, and 6 tries; `without-password` is allowed.
    expect(violations.map(describeViolation)).toEqual([
      'passwordauthentication yes (expected no)',
      'x11forwarding yes (expected no)',
      'maxauthtries 6 (expected <= 4)',
    ]);
    expect(violationsStatus(violations)).toBe('warning');
  });

  it('is critical when root may log in with a password', () => {
    const violations = checkPolicy(rootPassword, DEFAULT_SSHD_POLICY);
    expect(violations.find((v) => v.keyword === 'permitrootlogin')).toEqual({
      keyword: 'permitrootlogin',
      actual: 'yes',
      expected: 'no|prohibit-password|without-password',
      critical: true,
    });
    expect(violationsStatus(violations)).toBe('critical');
  });

  it('applies min, max and lists, and names keywords sshd does not report', () => {
    const violations = checkPolicy(debianDefault, {
      maxsessions: { min: 20 },
      logingracetime: { max: 120 },
      loglevel: ['INFO', 'VERBOSE'],
      protocol: '2',
    });
    expect(violations.map(describeViolation)).toEqual([
      'maxsessions 10 (expected >= 20)',
      'protocol not reported by sshd -T (expected 2)',
    ]);
    expect(
      describeViolation({ keyword: 'ciphers', actual: 'x'.repeat(60), expected: 'y', critical: false }),
    ).toBe(`ciphers ${'x'.repeat(37)}... (expected y)`);
  });
});

describe('sshd-config check against the real sshd', () => {
  let sshd: string;
  let folder: string;
  let hostKey: string;
  let createdPrivsepDir = false;

  /** A config file with a throwaway host key, so that `sshd -T -f` needs nothing from /etc/ssh. */
  async function config(name: string, lines: readonly string[]): Promise<string> {
    const path = join(folder, name);
    await writeFile(path, [`HostKey ${hostKey}`, ...lines, ''].join('\n'));
    return path;
  }

  beforeAll(async () => {
    sshd = await ensureBinary('sshd', 'openssh-server');
    const keygen = await ensureBinary('ssh-keygen', 'openssh-client');
    folder = await mkdtemp(join(tmpdir(), 'vigie-sshd-'));
    hostKey = join(folder, 'host_key');
    await promisify(execFile)(keygen, ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
    // sshd refuses to run, even with -T, without its privilege separation folder; the ssh service creates it
    // at start. Create it when no sshd runs here, and remove it afterwards.
    const exists = existsSync('/run/sshd');
    if (!exists) {
      await mkdir('/run/sshd', { mode: 0o755 });
      createdPrivsepDir = true;
    }
  }, 600_000);
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
    if (createdPrivsepDir) await rmdir('/run/sshd');
  });

  it('is ok for a hardened config', async () => {
    const cfg = await config('hardened', [
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'X11Forwarding no',
      'MaxAuthTries 3',
    ]);
    const outcome = await sshdCheck.run({ binary: sshd, extraArgs: ['-f', cfg] }, context());
    expect(outcome).toEqual({
      status: 'ok',
      metrics: { violations: 0, checked: 5 },
      message: 'sshd policy met (5 setting(s) checked)',
    });
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
  });

  it('is critical when root may log in with a password, naming the critical setting first', async () => {
    const cfg = await config('open', [
      'PasswordAuthentication yes',
      'X11Forwarding yes',
      'PermitRootLogin yes',
    ]);
    const outcome = await sshdCheck.run({ binary: sshd, extraArgs: ['-f', cfg] }, context());
    expect(outcome).toEqual({
      status: 'critical',
      metrics: { violations: 4, checked: 5 },
      message:
        '4 sshd policy violation(s) of 5: permitrootlogin yes (expected no|prohibit-password|without-password), ' +
        'passwordauthentication yes (expected no), x11forwarding yes (expected no), +1 more',
    });
  });

  it('is warning for other violations, and takes a custom policy', async () => {
    const cfg = await config('passwords', ['PasswordAuthentication yes', 'MaxAuthTries 3']);
    const outcome = await sshdCheck.run({ binary: sshd, extraArgs: ['-f', cfg] }, context());
    expect(outcome.status).toBe('warning');
    expect(outcome.message).toBe('1 sshd policy violation(s) of 5: passwordauthentication yes (expected no)');
    const custom = await sshdCheck.run(
      { binary: sshd, extraArgs: ['-f', cfg], policy: { passwordauthentication: ['yes', 'no'], port: '22' } },
      context(),
    );
    expect(custom).toMatchObject({ status: 'ok', metrics: { violations: 0, checked: 2 } });
  });

  it('is unknown, with sshd own reason, when sshd refuses the config', async () => {
    const cfg = await config('broken', ['NoSuchOption yes']);
    const outcome = await sshdCheck.run({ binary: sshd, extraArgs: ['-f', cfg] }, context());
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toBe(
      `${sshd} -T failed: exit 255: ${cfg}: line 2: Bad configuration option: NoSuchOption`,
    );
  });

  // sshd -T reads the host keys, which only root may read: as any other user it is unknown, with sshd's
  // reason. The check runs as `nobody` in a child process (see test/support/built-check.ts).
  it('is unknown when the agent may not read the host keys', async () => {
    const outcome = await runBuiltCheck({
      module: fileURLToPath(new URL('../../../../dist/checks/security/sshd/index.js', import.meta.url)),
      check: 'sshdCheck',
      options: { binary: sshd },
      asNobody: true,
    });
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: `${sshd} -T failed: exit 1: sshd: no hostkeys available -- exiting.`,
    });
  });

  it('is unknown when sshd is not installed', async () => {
    const outcome = await sshdCheck.run({ binary: '/nonexistent/sshd' }, context());
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: '/nonexistent/sshd not found: is openssh-server installed?',
    });
  });

  it('is exported by name and by default, with a strict policy schema', () => {
    expect(sshdDefault).toBe(sshdCheck);
    expect(sshdCheck.type).toBe('sshd-config');
    expect(Value.Check(SshdOptionsSchema, { policy: DEFAULT_SSHD_POLICY })).toBe(true);
    expect(Value.Check(SshdOptionsSchema, { policy: { PermitRootLogin: 'no' } })).toBe(false);
    expect(Value.Check(SshdOptionsSchema, { policy: { maxauthtries: { below: 4 } } })).toBe(false);
  });
});
