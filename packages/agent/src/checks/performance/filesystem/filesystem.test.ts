import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import filesystemDefault, { filesystemCheck } from './index.js';
import { parseMountinfo, selectMounts, unescapeMountField } from './mountinfo.js';
import { DEFAULT_EXCLUDED_FS_TYPES, FilesystemOptionsSchema, resolveFilesystemOptions } from './options.js';
import { judgeUsage, usageFromStatfs } from './usage.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
// This machine's table: an ext4 root, shadowed /dev/shm and /dev/pts, cgroup v1 + v2.
const debianVm = testdata('mountinfo-debian-vm.txt');
// Captured in a private mount namespace: binds of `/` and of a sub-folder, an overlay, a path with a space.
const bindOverlay = testdata('mountinfo-bind-overlay.txt');

const defaults = resolveFilesystemOptions({});
const context = (signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => new Date(),
  state: new Map(),
});

describe('parseMountinfo', () => {
  it('reads every line of a real table', () => {
    const entries = parseMountinfo(debianVm);
    expect(entries).toHaveLength(20);
    expect(entries).toContainEqual({
      device: '254:0',
      root: '/',
      mountPoint: '/',
      fsType: 'ext4',
      source: '/dev/vda',
    });
    expect(entries.filter((e) => e.fsType === 'cgroup')).toHaveLength(9);
  });

  it('decodes the octal escapes of mount points and keeps bind roots', () => {
    const entries = parseMountinfo(bindOverlay);
    expect(entries.map((e) => e.mountPoint)).toContain('/tmp/mi/with space');
    expect(entries.find((e) => e.mountPoint === '/tmp/mi/bind-data')?.root).toBe('/tmp/mi/data');
    expect(entries.find((e) => e.mountPoint === '/tmp/mi/merged')?.fsType).toBe('overlay');
    expect(unescapeMountField('a\\011b\\134c')).toBe('a\tb\\c');
  });

  it('refuses text that is not a mount table', () => {
    expect(() => parseMountinfo('/dev/vda / ext4 rw 0 0\n')).toThrow(/line 1/);
  });
});

describe('selectMounts', () => {
  it('keeps only the real filesystems of this machine', () => {
    const { selected, missing } = selectMounts(parseMountinfo(debianVm), defaults);
    expect(selected.map((e) => e.mountPoint)).toEqual(['/']);
    expect(missing).toEqual([]);
  });

  it('keeps overlay, drops pseudo filesystems and counts a bind of the same folder once', () => {
    const { selected } = selectMounts(parseMountinfo(bindOverlay), defaults);
    // `/tmp/mi/sub` binds `/` of 254:0 again; `/tmp/mi/bind-data` binds another folder, so it stays.
    expect(selected.map((e) => e.mountPoint)).toEqual(['/', '/tmp/mi/bind-data', '/tmp/mi/merged']);
  });

  it('takes an explicit list as asked, whatever the type, and reports what is not mounted', () => {
    const options = resolveFilesystemOptions({ mounts: ['/tmp/mi/sub/', '/tmp/mi/with space', '/backup'] });
    const { selected, missing } = selectMounts(parseMountinfo(bindOverlay), options);
    expect(selected.map((e) => e.mountPoint)).toEqual(['/tmp/mi/sub', '/tmp/mi/with space']);
    expect(missing).toEqual(['/backup']);
  });

  it('applies excludeMounts and an excludeFsTypes that replaces the default list', () => {
    const options = resolveFilesystemOptions({
      excludeMounts: ['/'],
      excludeFsTypes: [...DEFAULT_EXCLUDED_FS_TYPES, 'overlay'],
    });
    const { selected } = selectMounts(parseMountinfo(bindOverlay), options);
    expect(selected.map((e) => e.mountPoint)).toEqual(['/tmp/mi/bind-data', '/tmp/mi/sub']);
  });
});

describe('usageFromStatfs', () => {
  it("agrees with df's Use% on the real root filesystem", async () => {
    const usage = usageFromStatfs(await statfs('/'));
    const { stdout } = await promisify(execFile)('df', ['--output=pcent', '/']);
    const dfPercent = Number(stdout.split('\n')[1]?.trim().replace('%', ''));
    // df rounds up; the filesystem may move a little between the two reads.
    expect(Math.abs(Math.ceil(usage.usedPercent) - dfPercent)).toBeLessThanOrEqual(1);
    expect(usage.usedBytes + usage.freeBytes).toBeLessThanOrEqual(usage.sizeBytes);
  });

  it('has no inode percentage when the filesystem reports no inodes (btrfs)', () => {
    const usage = usageFromStatfs({ bsize: 4096, blocks: 1000, bfree: 250, bavail: 250, files: 0, ffree: 0 });
    expect(usage).toEqual({
      sizeBytes: 4_096_000,
      usedBytes: 3_072_000,
      freeBytes: 1_024_000,
      usedPercent: 75,
      inodesUsedPercent: undefined,
    });
  });

  it('names the limit that was passed, inodes included', () => {
    const usage = usageFromStatfs({
      bsize: 4096,
      blocks: 1000,
      bfree: 500,
      bavail: 500,
      files: 100,
      ffree: 3,
    });
    expect(judgeUsage('/var', usage, defaults)).toMatchObject({
      status: 'critical',
      message: '/var inodes 97.0% used (critical >= 95%)',
    });
    const full = usageFromStatfs({ bsize: 4096, blocks: 1000, bfree: 88, bavail: 88, files: 100, ffree: 90 });
    expect(judgeUsage('/var', full, resolveFilesystemOptions({ criticalPercent: 90 })).message).toBe(
      '/var 91.2% used (critical >= 90%)',
    );
  });
});

describe('filesystem check on this machine', () => {
  it('is exported by name and by default, with a strict options schema', () => {
    expect(filesystemDefault).toBe(filesystemCheck);
    expect(filesystemCheck.type).toBe('filesystem');
    expect(Value.Check(FilesystemOptionsSchema, { warningPercent: 80 })).toBe(true);
    expect(Value.Check(FilesystemOptionsSchema, { warnPercent: 80 })).toBe(false);
  });

  it('measures /', async () => {
    const outcome = await filesystemCheck.run({}, context());
    expect(outcome.status).not.toBe('unknown');
    for (const field of ['used_percent', 'used_bytes', 'size_bytes', 'free_bytes', 'inodes_used_percent']) {
      expect(outcome.metrics[`${field}@/`]).toBeTypeOf('number');
    }
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
    expect(outcome.metrics['used_percent@/proc']).toBeUndefined();
  });

  it('is critical when / is fuller than the critical limit', async () => {
    const current = usageFromStatfs(await statfs('/')).usedPercent;
    const outcome = await filesystemCheck.run(
      { mounts: ['/'], warningPercent: 0, criticalPercent: Math.floor(current) },
      context(),
    );
    expect(outcome.status).toBe('critical');
    expect(outcome.message).toMatch(/^\/ \d+\.\d% used \(critical >= \d+%\)$/);
  });

  it('is unknown, naming the mount, when a listed mount is not mounted', async () => {
    const outcome = await filesystemCheck.run({ mounts: ['/', '/no/such/mount'] }, context());
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toContain('/no/such/mount is not mounted');
    expect(outcome.metrics['used_percent@/']).toBeTypeOf('number');
  });

  it('is unknown when no mount is left to check', async () => {
    const outcome = await filesystemCheck.run({ mounts: [] }, context());
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: 'no mount to check: `mounts` is empty',
    });
  });

  it('is unknown once its timeout has fired', async () => {
    const controller = new AbortController();
    controller.abort();
    const outcome = await filesystemCheck.run({}, context(controller.signal));
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toMatch(/timed out/);
  });
});
