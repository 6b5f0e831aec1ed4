import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import { parseRebootPackages } from './flag.js';
import rebootDefault, { rebootRequiredCheck } from './index.js';
import { compareKernelReleases, installedKernels, kernelHint } from './kernel.js';
import { RebootRequiredOptionsSchema } from './options.js';

const context = (): CheckContext => ({
  signal: new AbortController().signal,
  now: () => new Date(),
  state: new Map(),
});

let folder: string;
let counter = 0;
/** A fresh empty folder under the test folder. */
async function freshDir(): Promise<string> {
  return mkdtemp(join(folder, `case-${counter++}-`));
}
/** Options pointing every source into `dir`: no flag, no needs-restarting, an empty /boot, unless written. */
const isolated = (dir: string) => ({
  flagFile: join(dir, 'reboot-required'),
  needsRestarting: join(dir, 'needs-restarting'),
  bootDir: join(dir, 'boot'),
});

/** An empty file, as `touch` makes. */
async function touch(path: string): Promise<void> {
  await writeFile(path, '');
}

/**
 * needs-restarting (dnf-utils) cannot run on this Debian machine: this stand-in script reproduces only its
 * documented `-r` protocol (exit 1: reboot needed, 0: not needed), to test how the check reads it.
 */
async function needsRestartingStandIn(dir: string, exitCode: number): Promise<void> {
  await writeFile(join(dir, 'needs-restarting'), `#!/bin/sh\n[ "$1" = -r ] || exit 2\nexit ${exitCode}\n`, {
    mode: 0o755,
  });
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'vigie-reboot-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('kernel releases', () => {
  it('orders Debian and RHEL releases by their numbers', () => {
    expect(compareKernelReleases('6.1.0-21-amd64', '6.1.0-9-amd64')).toBeGreaterThan(0);
    expect(compareKernelReleases('6.1.0-18-amd64', '6.1.0-18-amd64')).toBe(0);
    expect(
      compareKernelReleases('5.14.0-427.16.1.el9_4.x86_64', '5.14.0-362.24.1.el9_3.x86_64'),
    ).toBeGreaterThan(0);
    expect(compareKernelReleases('6.1.0', '6.1.0-1')).toBeLessThan(0);
  });

  it('lists installed kernels from a /boot listing, rescue images excluded', () => {
    const boot = [
      'System.map-6.1.0-18-amd64',
      'config-6.1.0-18-amd64',
      'initrd.img-6.1.0-18-amd64',
      'vmlinuz-6.1.0-18-amd64',
      'vmlinuz-6.1.0-21-amd64',
      'vmlinuz-0-rescue-4f3c9e0e8f2a4d0c9b1a2e3f4a5b6c7d',
      'grub',
    ];
    expect(installedKernels(boot)).toEqual(['6.1.0-18-amd64', '6.1.0-21-amd64']);
    expect(kernelHint('6.1.0-18-amd64', installedKernels(boot))).toEqual({
      kind: 'newer',
      running: '6.1.0-18-amd64',
      newest: '6.1.0-21-amd64',
    });
    expect(kernelHint('6.1.0-21-amd64', installedKernels(boot)).kind).toBe('current');
    // A container shares its host's kernel: its /boot says nothing about it.
    expect(kernelHint('6.8.0-45-generic', installedKernels(boot)).kind).toBe('not-installed');
  });

  it('counts the distinct packages of a .pkgs list', () => {
    expect(parseRebootPackages('linux-image-6.1.0-21-amd64\nlibc6\n\nlibc6\n')).toEqual([
      'linux-image-6.1.0-21-amd64',
      'libc6',
    ]);
  });
});

describe('reboot-required check', () => {
  it('is ok when no source asks for a reboot', async () => {
    const dir = await freshDir();
    const outcome = await rebootRequiredCheck.run(isolated(dir), context());
    expect(outcome).toEqual({
      status: 'ok',
      metrics: { reboot_required: 0, packages: 0 },
      message: 'no reboot required (checked flag file)',
    });
  });

  it("is warning when Debian's flag exists, and counts the packages that asked", async () => {
    const dir = await freshDir();
    // What Debian's kernel hook (/etc/kernel/postinst.d/unattended-upgrades) does: touch the flag, append the package.
    await touch(join(dir, 'reboot-required'));
    await writeFile(join(dir, 'reboot-required.pkgs'), 'linux-image-6.1.0-21-amd64\nlibc6\nlibssl3\ndbus\n');
    const outcome = await rebootRequiredCheck.run(isolated(dir), context());
    expect(outcome).toEqual({
      status: 'warning',
      metrics: { reboot_required: 1, packages: 4 },
      message: `reboot required: ${dir}/reboot-required present (4 package(s): linux-image-6.1.0-21-amd64, libc6, libssl3, ...)`,
    });
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
    const critical = await rebootRequiredCheck.run({ ...isolated(dir), severity: 'critical' }, context());
    expect(critical.status).toBe('critical');
  });

  it('takes the flag alone when there is no package list', async () => {
    const dir = await freshDir();
    await touch(join(dir, 'reboot-required'));
    const outcome = await rebootRequiredCheck.run(isolated(dir), context());
    expect(outcome.metrics).toEqual({ reboot_required: 1, packages: 0 });
    expect(outcome.message).toBe(`reboot required: ${dir}/reboot-required present`);
  });

  it("reads needs-restarting's exit code (stand-in script, see above)", async () => {
    const dir = await freshDir();
    await needsRestartingStandIn(dir, 1);
    const required = await rebootRequiredCheck.run(isolated(dir), context());
    expect(required.status).toBe('warning');
    expect(required.message).toBe(`reboot required: ${dir}/needs-restarting -r says so`);

    await needsRestartingStandIn(dir, 0);
    const fine = await rebootRequiredCheck.run(isolated(dir), context());
    expect(fine.message).toBe('no reboot required (checked flag file, needs-restarting)');

    await needsRestartingStandIn(dir, 3);
    const broken = await rebootRequiredCheck.run(isolated(dir), context());
    expect(broken.status).toBe('unknown');
    expect(broken.message).toBe(`cannot tell: ${dir}/needs-restarting -r: exited with 3`);
  });

  it('is warning when a kernel newer than the running one is installed', async () => {
    const dir = await freshDir();
    const boot = join(dir, 'boot');
    await mkdir(boot);
    await touch(join(boot, `vmlinuz-${release()}`));
    const current = await rebootRequiredCheck.run(isolated(dir), context());
    expect(current).toMatchObject({ status: 'ok', metrics: { reboot_required: 0, newer_kernel: 0 } });
    expect(current.message).toBe(`no reboot required (checked flag file, kernel ${release()})`);

    await touch(join(boot, 'vmlinuz-99.0.0-1-amd64'));
    const newer = await rebootRequiredCheck.run(isolated(dir), context());
    expect(newer).toEqual({
      status: 'warning',
      metrics: { reboot_required: 1, packages: 0, newer_kernel: 1 },
      message: `reboot required: kernel 99.0.0-1-amd64 installed, running ${release()}`,
    });
    const off = await rebootRequiredCheck.run({ ...isolated(dir), kernelCheck: false }, context());
    expect(off.status).toBe('ok');
  });

  it('draws no conclusion from a /boot that does not hold the running kernel', async () => {
    const dir = await freshDir();
    await mkdir(join(dir, 'boot'));
    await touch(join(dir, 'boot', 'vmlinuz-99.0.0-1-amd64'));
    const outcome = await rebootRequiredCheck.run(isolated(dir), context());
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics.newer_kernel).toBeUndefined();
    expect(outcome.message).toContain(`kernel ${release()} (not in ${dir}/boot)`);
  });

  it('is unknown when the flag cannot be looked at', async () => {
    const dir = await freshDir();
    await touch(join(dir, 'file'));
    const outcome = await rebootRequiredCheck.run(
      { ...isolated(dir), flagFile: join(dir, 'file', 'reboot-required') },
      context(),
    );
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toMatch(/^cannot tell: .*\/file\/reboot-required: ENOTDIR/);
  });

  it('checks this machine with the default paths', async () => {
    const outcome = await rebootRequiredCheck.run({}, context());
    expect(['ok', 'warning']).toContain(outcome.status);
    expect(outcome.metrics.reboot_required).toBeTypeOf('number');
  });

  it('is exported by name and by default, with a strict options schema', () => {
    expect(rebootDefault).toBe(rebootRequiredCheck);
    expect(rebootRequiredCheck.type).toBe('reboot-required');
    expect(
      Value.Check(RebootRequiredOptionsSchema, { flagFile: '/run/reboot-required', severity: 'critical' }),
    ).toBe(true);
    expect(Value.Check(RebootRequiredOptionsSchema, { severity: 'ok' })).toBe(false);
    expect(Value.Check(RebootRequiredOptionsSchema, { flagFile: 'relative' })).toBe(false);
  });
});
