import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMountinfo, selectMounts } from '../../performance/filesystem/mountinfo.js';
import { DEFAULT_EXCLUDED_FS_TYPES } from '../../performance/filesystem/options.js';
import { filesystemItems, onePerDevice } from './filesystems.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

describe('filesystem sizes', () => {
  it('keeps real filesystems once per device, under their shortest mount point', () => {
    // Captured from a container with bind mounts, an overlay and a mount point holding a space.
    const { selected } = selectMounts(parseMountinfo(testdata('mountinfo-bind-overlay.txt')), {
      mounts: undefined,
      excludeMounts: [],
      excludeFsTypes: DEFAULT_EXCLUDED_FS_TYPES,
    });
    expect(onePerDevice(selected)).toEqual(['/', '/tmp/mi/merged']);
  });

  it('gives an error item for a mount that cannot be measured, not a failed check', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'vigie-mounts-'));
    try {
      const mountinfo = join(folder, 'mountinfo');
      await writeFile(
        mountinfo,
        '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n90 27 254:7 / /vigie/not/mounted rw - ext4 /dev/vdb rw\n',
      );
      const items = await filesystemItems(new AbortController().signal, 5000, mountinfo);
      expect(items[0]?.[0]).toBe('fs./.size_bytes');
      expect(Number(items[0]?.[1])).toBeGreaterThan(0);
      expect(items[1]).toEqual(['fs./vigie/not/mounted.error', 'ENOENT']);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
