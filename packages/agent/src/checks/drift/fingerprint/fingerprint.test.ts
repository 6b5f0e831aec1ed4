import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import fingerprintDefault, {
  createFingerprintCheck,
  fingerprintCheck,
  LAST_SNAPSHOT_STATE,
} from './index.js';
import { FingerprintOptionsSchema } from './options.js';
import {
  DPKG,
  type PackageManager,
  parseDpkgQuery,
  parseRpmQuery,
  RPM,
  readInstalledPackages,
} from './packages.js';
import { parseNodeVersion, parsePhpVersion } from './versions.js';

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
const tomcatHome = await mkdtemp(join(os.tmpdir(), 'vigie-fingerprint-tomcat-'));
await mkdir(join(tomcatHome, 'lib'));
await copyFile(
  new URL('./testdata/catalina-9.0.70.jar', import.meta.url),
  join(tomcatHome, 'lib', 'catalina.jar'),
);
afterAll(() => rm(tomcatHome, { recursive: true, force: true }));
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
    expect(snapshot['os.timezone']).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    if (process.env.LC_ALL || process.env.LANG) {
      expect(snapshot['os.locale']).toBe(process.env.LC_ALL || process.env.LANG);
    }
    // The root filesystem is real on any host; its size is what statfs says.
    const root = await statfs('/');
    expect(snapshot['fs./.size_bytes']).toBe(String(root.blocks * root.bsize));
    expect(Object.keys(snapshot).filter((key) => /^fs\..*\.size_bytes$/.test(key))).not.toContain(
      'fs./proc.size_bytes',
    );
    // Node.js runs these tests, so a `node` is on PATH: the item is what it says of itself.
    const { stdout: nodeVersion } = await promisify(execFile)('node', ['--version']);
    expect(snapshot['runtime.node']).toBe(nodeVersion.trim().replace(/^v/, ''));
    expect(outcome.metrics.items).toBe(Object.keys(snapshot).length);
    expect(outcome.metrics).toMatchObject({ cpu_cores: os.cpus().length, memory_bytes: os.totalmem() });
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
    if (hasDpkg) {
      expect(snapshot['package.dpkg']).toMatch(/^\d/);
      expect(outcome.metrics.packages).toBe(
        Object.keys(snapshot).filter((k) => k.startsWith('package.')).length,
      );
      expect(outcome.message).toMatch(/; \d+ dpkg packages; \d+ runtimes$/);
    }
  });

  it('keeps its last full item set in its state and counts what changed since', async () => {
    const state = new Map<string, unknown>();
    const ctx = { ...context(), state };
    const first = await fingerprintCheck.run({ packages: false, runtimes: false }, ctx);
    expect(first.metrics.items_changed).toBeUndefined();
    expect(state.get(LAST_SNAPSHOT_STATE)).toEqual(first.snapshot);
    const second = await fingerprintCheck.run({ packages: false, runtimes: false }, ctx);
    expect(second.metrics.items_changed).toBe(0);
    expect(second.message).toContain('0 items changed since the previous run');
  });

  it('reports the runtimes found where it is told to look', async () => {
    const check = createFingerprintCheck([absent(DPKG), absent(RPM)], {
      probes: [
        { item: 'runtime.node', commands: ['node'], args: ['--version'], parse: parseNodeVersion },
        { item: 'runtime.php', commands: ['/nonexistent/php'], args: ['--version'], parse: parsePhpVersion },
      ],
      // A Tomcat home as Debian lays it out, its catalina.jar built for the test data (see tomcat.test.ts).
      tomcatHomes: async () => [tomcatHome],
    });
    const outcome = await check.run({ probeTimeout: '10s' }, context());
    const snapshot = outcome.snapshot ?? {};
    expect(snapshot['runtime.node']).toMatch(/^\d+\.\d+\.\d+/);
    expect(snapshot['runtime.tomcat']).toBe('9.0.70');
    expect(Object.keys(snapshot).filter((key) => key.startsWith('runtime.php'))).toEqual([]);
    expect(outcome.message).toMatch(/; 2 runtimes$/);
  });

  it('asks no runtime when runtimes is false', async () => {
    const outcome = await fingerprintCheck.run({ packages: false, runtimes: false }, context());
    const keys = Object.keys(outcome.snapshot ?? {});
    expect(keys.some((key) => key.startsWith('runtime.') || key.startsWith('browser.'))).toBe(false);
    expect(outcome.message).not.toContain('runtimes');
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
    expect(
      Value.Check(FingerprintOptionsSchema, {
        runtimes: false,
        probeTimeout: '3s',
        configFiles: [{ path: '/etc/app/.env' }, { path: '/etc/app/app.yml', format: 'yaml' }],
        secretKeys: ['password', 'pin'],
        secretHashKeyFile: '/etc/vigie/fingerprint.key',
      }),
    ).toBe(true);
    expect(Value.Check(FingerprintOptionsSchema, { configFiles: [{ path: 'relative/.env' }] })).toBe(false);
    expect(Value.Check(FingerprintOptionsSchema, { configFiles: [{ path: '/a', format: 'xml' }] })).toBe(
      false,
    );
    expect(Value.Check(FingerprintOptionsSchema, { secretHashKeyFile: 'fingerprint.key' })).toBe(false);
  });
});
