import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import { parseAptSimulation } from './apt.js';
import { markSecurity, nevraName, parseDnfCheckUpdate, parseDnfSecurityList } from './dnf.js';
import updatesDefault, { checkUpdates, updatesCheck } from './index.js';
import { aptManager, dnfManager } from './managers.js';
import { UpdatesOptionsSchema } from './options.js';
import { judgeUpdates } from './pending.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
// Captured on this Debian 12 VM (apt lists older than the archive): 126 upgrades, 75 from -security.
const debian12 = parseAptSimulation(testdata('apt-get-s-dist-upgrade-debian12.txt'));
const signal = () => new AbortController().signal;
const context = (): CheckContext => ({ signal: signal(), now: () => new Date(), state: new Map() });

describe('parseAptSimulation', () => {
  it('reads every Inst line of a real simulation and spots the -security archives', () => {
    expect(debian12).toHaveLength(126);
    expect(debian12.filter((u) => u.security)).toHaveLength(75);
    expect(debian12).toContainEqual({
      name: 'libssl3',
      from: '3.0.19-1~deb12u2',
      to: '3.0.22-1~deb12u2',
      security: true,
    });
    // Offered by both the point release and the security archive: still a security update.
    expect(debian12.find((u) => u.name === 'libgcrypt20')?.security).toBe(true);
    expect(debian12.find((u) => u.name === 'bash')).toEqual({
      name: 'bash',
      from: '5.2.15-2+b8',
      to: '5.2.15-2+b13',
      security: false,
    });
  });

  it('finds nothing in a real simulation with nothing to upgrade', () => {
    expect(parseAptSimulation(testdata('apt-get-s-dist-upgrade-nothing.txt'))).toEqual([]);
  });
});

// dnf is not installed on this Debian machine and cannot run here: these samples follow the formats
// documented by dnf 4 and dnf 5 (see README), they are not captures.
describe('dnf parsing (documented formats, not captured)', () => {
  it('reads check-update, wrapped names included, and stops at the obsoletes', () => {
    const updates = parseDnfCheckUpdate(testdata('dnf4-check-update-documented-format.txt'));
    expect(updates.map((u) => u.name)).toEqual([
      'kernel',
      'kernel-core',
      'openssl',
      'openssl-libs',
      'python3-dnf-plugin-versionlock-extras',
      'tzdata',
    ]);
    expect(updates[5]?.to).toBe('2024a-1.el9');
    expect(updates[4]?.to).toBe('4.3.0-13.el9');
  });

  it('reads the security advisories of dnf 4 and dnf 5', () => {
    const dnf4 = parseDnfSecurityList(testdata('dnf4-updateinfo-security-documented-format.txt'));
    expect([...dnf4]).toEqual(['kernel', 'kernel-core', 'openssl', 'openssl-libs']);
    const dnf5 = parseDnfSecurityList(testdata('dnf5-advisory-list-security-documented-format.txt'));
    expect([...dnf5]).toEqual(['openssl-libs', 'kernel-core']);
  });

  it('takes the name out of a NEVRA', () => {
    expect(nevraName('openssl-libs-1:3.0.7-27.el9.x86_64')).toBe('openssl-libs');
    expect(nevraName('python3-dnf-4.14.0-9.el9.noarch')).toBe('python3-dnf');
    expect(nevraName('Important/Sec.')).toBeUndefined();
  });

  it('marks the pending updates an advisory covers', () => {
    const updates = parseDnfCheckUpdate(testdata('dnf4-check-update-documented-format.txt'));
    const marked = markSecurity(
      updates,
      parseDnfSecurityList(testdata('dnf4-updateinfo-security-documented-format.txt')),
    );
    const verdict = judgeUpdates('dnf', marked, {});
    expect(verdict).toEqual({
      status: 'warning',
      message: 'dnf: 6 update(s), 4 security (kernel, kernel-core, openssl, ...)',
      updates: 6,
      securityUpdates: 4,
    });
  });
});

describe('judgeUpdates', () => {
  it('is warning for any security update by default, names only the first three', () => {
    const verdict = judgeUpdates('apt', debian12, {});
    expect(verdict.status).toBe('warning');
    expect(verdict.message).toBe(
      'apt: 126 update(s), 75 security (libgcrypt20-dev, libgcrypt20, liblzma-dev, ...)',
    );
  });

  it('applies securityCritical, securityWarning and totalWarning', () => {
    expect(judgeUpdates('apt', debian12, { securityCritical: 75 }).status).toBe('critical');
    expect(judgeUpdates('apt', debian12, { securityCritical: 76 }).status).toBe('warning');
    expect(judgeUpdates('apt', debian12, { securityWarning: 76 }).status).toBe('ok');
    expect(judgeUpdates('apt', debian12, { securityWarning: 76, totalWarning: 100 }).status).toBe('warning');
    const plain = debian12.filter((u) => !u.security);
    expect(judgeUpdates('apt', plain, {})).toMatchObject({
      status: 'ok',
      message: 'apt: 51 update(s), 0 security (base-files, bash, systemd-timesyncd, ...)',
    });
    expect(judgeUpdates('apt', [], {})).toEqual({
      status: 'ok',
      message: 'apt: no pending update',
      updates: 0,
      securityUpdates: 0,
    });
  });
});

describe('package-updates check', () => {
  it('is exported by name and by default, with a strict options schema', () => {
    expect(updatesDefault).toBe(updatesCheck);
    expect(updatesCheck.type).toBe('package-updates');
    expect(updatesCheck.category).toBe('security');
    expect(Value.Check(UpdatesOptionsSchema, { securityWarning: 1, securityCritical: 10 })).toBe(true);
    expect(Value.Check(UpdatesOptionsSchema, { securityWarning: 0 })).toBe(false);
    expect(Value.Check(UpdatesOptionsSchema, { security: 1 })).toBe(false);
  });

  it("counts this machine's pending updates as apt-get itself lists them", async () => {
    const outcome = await updatesCheck.run({}, context());
    const { stdout } = await promisify(execFile)(
      'apt-get',
      ['-s', '-o', 'Debug::NoLocking=1', 'dist-upgrade'],
      {
        env: { ...process.env, LC_ALL: 'C' },
        maxBuffer: 32 * 1024 * 1024,
      },
    );
    const expected = parseAptSimulation(stdout);
    expect(outcome.metrics).toEqual({
      updates: new Set(expected.map((u) => u.name)).size,
      security_updates: new Set(expected.filter((u) => u.security).map((u) => u.name)).size,
    });
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
    expect(outcome.status).toBe(outcome.metrics.security_updates ? 'warning' : 'ok');
    expect(outcome.message.split(',').length).toBeLessThanOrEqual(6);
  }, 120_000);

  it('is unknown when neither apt-get nor dnf exists', async () => {
    const outcome = await checkUpdates({}, signal(), [
      aptManager('/nonexistent/apt-get'),
      dnfManager('/nonexistent/dnf'),
    ]);
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: 'no supported package manager found (tried apt, dnf)',
    });
  });

  it('is unknown, with the exit code, when the package manager fails', async () => {
    // `false` is a real program that exits 1 whatever its arguments, as apt-get does on a broken cache.
    const outcome = await checkUpdates({}, signal(), [aptManager('false')]);
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toBe('apt: cannot list pending updates: false -s dist-upgrade exited with 1');
  });

  it('stops when the check times out', async () => {
    const controller = new AbortController();
    controller.abort();
    const outcome = await checkUpdates({}, controller.signal, [aptManager()]);
    expect(outcome).toMatchObject({ status: 'unknown', message: expect.stringContaining('aborted') });
  });
});
