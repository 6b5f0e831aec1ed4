// The size of each real mounted filesystem, chosen the way the `filesystem` check chooses what to measure.
import { readFile, statfs } from 'node:fs/promises';
import { type MountEntry, parseMountinfo, selectMounts } from '../../performance/filesystem/mountinfo.js';
import { DEFAULT_EXCLUDED_FS_TYPES } from '../../performance/filesystem/options.js';
import { usageFromStatfs } from '../../performance/filesystem/usage.js';

export const MOUNTINFO_PATH = '/proc/self/mountinfo';

/**
 * `fs.<mount>.size_bytes` for every real filesystem (pseudo filesystems left out, one mount per device).
 * A mount whose statfs fails or hangs past `timeoutMs` (a dead network share) gives `fs.<mount>.error`.
 * Throws when the mount table cannot be read.
 */
export async function filesystemItems(
  signal: AbortSignal,
  timeoutMs: number,
  mountinfoPath = MOUNTINFO_PATH,
): Promise<[string, string][]> {
  const entries = parseMountinfo(await readFile(mountinfoPath, { encoding: 'utf8', signal }));
  const { selected } = selectMounts(entries, {
    mounts: undefined,
    excludeMounts: [],
    excludeFsTypes: DEFAULT_EXCLUDED_FS_TYPES,
  });
  return Promise.all(
    onePerDevice(selected).map(async (mountPoint): Promise<[string, string]> => {
      try {
        const stats = await withinTime(statfs(mountPoint), timeoutMs, signal);
        return [`fs.${mountPoint}.size_bytes`, String(usageFromStatfs(stats).sizeBytes)];
      } catch (err) {
        if (signal.aborted) throw err;
        return [`fs.${mountPoint}.error`, (err as NodeJS.ErrnoException).code ?? 'timeout'];
      }
    }),
  );
}

/**
 * Capacity belongs to a filesystem, not to each place it is mounted: a device bind-mounted elsewhere
 * (`/run/netns`, a container's `/etc/hosts`) is listed once, under its shortest mount point.
 */
export function onePerDevice(entries: readonly MountEntry[]): string[] {
  const byDevice = new Map<string, string>();
  for (const { device, mountPoint } of entries) {
    const seen = byDevice.get(device);
    if (seen === undefined || mountPoint.length < seen.length) byDevice.set(device, mountPoint);
  }
  return [...byDevice.values()].sort();
}

/** statfs cannot be cancelled: stop waiting for it instead, on the check's abort or after `timeoutMs`. */
function withinTime<T>(work: Promise<T>, timeoutMs: number, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    const timer = setTimeout(() => reject(new Error(`statfs took longer than ${timeoutMs} ms`)), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}
