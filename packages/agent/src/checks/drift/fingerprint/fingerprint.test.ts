import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import fingerprintDefault, { createFingerprintCheck, fingerprintCheck } from './index.js';
import { FingerprintOptionsSchema } from './options.js';
import {
  DPKG,
  type PackageManager,
  parseDpkgQuery,
  parseRpmQuery,
  RPM,
  readInstalledPackages,
} from './packages.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const context = (signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => new Date(),
  state: new Map(),
});
const hasDpkg = await promisify(execFile)('dpkg-query', ['--version']).then(
  () => true,
  () => false,
);
const absent = (manager: PackageManager): PackageManager => ({
  ...manager,
  command: `/nonexistent/${manager.command}`,
});

describe('package listings', () => {
  it('reads a real dpkg-query listing of a Debian 12 host (every 4th line kept)', () => {
    const packages = parseDpkgQuery(testdata('dpkg-query-debian12.txt'));
    expect(packages.size).toBe(191);
    expect(packages.get('bash')).toBe('5.2.15-2+b8');
    expect([...packages.keys()]).toEqual([...packages.keys()].sort());
  });

  it('keeps installed packages only, epochs included', () => {
    // Real dpkg output from a scratch admin dir: one package installed, one removed, one only unpacked.
    const packages = parseDpkgQuery(testdata('dpkg-query-states.txt'));
    expect([...packages]).toEqual([['vigie-demo-installed', '2:3.4.5-1+deb12u1']]);
  });

  it('keeps held packages and joins the versions of a package installed twice', () => {
    // Hand-written in dpkg's format: holds and multi-arch duplicates do not occur on this machine.
    const packages = parseDpkgQuery('libc6\t2.36-9\tii \nlibc6\t2.36-8\tii \nnginx\t1.22.1-9\thi \n');
    expect([...packages]).toEqual([
      ['libc6', '2.36-8, 2.36-9'],
      ['nginx', '1.22.1-9'],
    ]);
  });

  it('reads an rpm listing, several kernels included', () => {
    // Hand-written in the format our --qf asks for: there is no rpm on this machine to capture from.
    const stdout =
      'bash\t5.1.8-9.el9\nkernel\t5.14.0-427.el9\nkernel\t5.14.0-362.el9\ngpg-pubkey\t8483c65d-5ccc5b19\n';
    expect([...parseRpmQuery(stdout)]).toEqual([
      ['bash', '5.1.8-9.el9'],
      ['gpg-pubkey', '8483c65d-5ccc5b19'],
      ['kernel', '5.14.0-362.el9, 5.14.0-427.el9'],
    ]);
  });

  it.runIf(hasDpkg)('asks the real dpkg and finds what dpkg -l calls installed', async () => {
    const installed = await readInstalledPackages(new AbortController().signal);
    const { stdout } = await promisify(execFile)('dpkg', ['-l']);
    const listed = stdout.split('\n').filter((line) => /^[ih]i /.test(line)).length;
    expect(installed.manager).toBe('dpkg');
    expect(installed.manager && installed.packages.size).toBe(listed);
  });

  it.runIf(hasDpkg)('falls back to the next package manager when the first is not installed', async () => {
    const installed = await readInstalledPackages(new AbortController().signal, [absent(RPM), DPKG]);
    expect(installed.manager).toBe('dpkg');
  });

  it('answers "no package manager" when none is installed', async () => {
    const installed = await readInstalledPackages(new AbortController().signal, [absent(DPKG), absent(RPM)]);
    expect(installed).toEqual({ manager: undefined });
  });
});

describe('fingerprint check on this machine', () => {
  it('describes this host', async () => {
    const outcome = await fingerprintCheck.run({}, context());
    expect(outcome.status).toBe('ok');
    const snapshot = outcome.snapshot ?? {};
    expect(snapshot['os.kernel']).toBe(os.release());
    expect(snapshot['os.arch']).toBe(os.arch());
    expect(snapshot['cpu.cores']).toBe(String(os.cpus().length));
    expect(snapshot['memory.total_bytes']).toBe(String(os.totalmem()));
    for (const key of ['os.distro', 'os.release', 'os.timezone', 'cpu.model'])
      expect(snapshot[key]).not.toBe('');
    expect(outcome.metrics).toMatchObject({ cpu_cores: os.cpus().length, memory_bytes: os.totalmem() });
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
    if (hasDpkg) {
      expect(snapshot['package.dpkg']).toMatch(/^\d/);
      expect(outcome.metrics.packages).toBe(
        Object.keys(snapshot).filter((k) => k.startsWith('package.')).length,
      );
      expect(outcome.message).toMatch(/; \d+ dpkg packages$/);
    }
  });

  it('leaves packages out when asked to', async () => {
    const outcome = await fingerprintCheck.run({ packages: false }, context());
    expect(outcome.status).toBe('ok');
    expect(Object.keys(outcome.snapshot ?? {}).some((key) => key.startsWith('package.'))).toBe(false);
    expect(outcome.metrics.packages).toBeUndefined();
    expect(outcome.message).toContain('packages not listed');
  });

  it('is ok without package items on a host with no package manager', async () => {
    const check = createFingerprintCheck([absent(DPKG), absent(RPM)]);
    const outcome = await check.run({}, context());
    expect(outcome.status).toBe('ok');
    expect(outcome.snapshot?.['os.kernel']).toBe(os.release());
    expect(outcome.message).toContain('no package manager found (/nonexistent/dpkg-query, /nonexistent/rpm)');
  });

  it.runIf(hasDpkg)('is unknown, with no snapshot, when the package manager fails', async () => {
    const check = createFingerprintCheck([{ ...DPKG, args: ['--no-such-option'] }]);
    const outcome = await check.run({}, context());
    expect(outcome.status).toBe('unknown');
    expect(outcome.snapshot).toBeUndefined();
    expect(outcome.message).toMatch(/cannot list packages: dpkg-query failed: /);
  });

  it.runIf(hasDpkg)('is unknown once its timeout has fired, the package listing being killed', async () => {
    const controller = new AbortController();
    controller.abort();
    const outcome = await fingerprintCheck.run({}, context(controller.signal));
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toMatch(/timed out/);
  });

  it('is exported by name and by default, with a strict options schema', () => {
    expect(fingerprintDefault).toBe(fingerprintCheck);
    expect(fingerprintCheck).toMatchObject({ type: 'fingerprint', category: 'drift' });
    expect(Value.Check(FingerprintOptionsSchema, { packages: false })).toBe(true);
    expect(Value.Check(FingerprintOptionsSchema, { packages: 'yes' })).toBe(false);
    expect(Value.Check(FingerprintOptionsSchema, { services: true })).toBe(false);
  });
});
