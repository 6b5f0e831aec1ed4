// Finds world-writable files and folders under some roots, without following symlinks or crossing mounts.
import type { Stats } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, hasErrorCode } from '../../failure.js';
import { FILE_PERMISSIONS_DEFAULTS, type WorldWritableOptions } from './options.js';

export interface WorldWritableScan {
  /** World-writable regular files and folders, in scan order. */
  found: string[];
  /** Entries examined. */
  scanned: number;
  /** True when `maxFiles` stopped the scan before its end. */
  truncated: boolean;
  /** Roots or folders that could not be read, with the reason. */
  unreadable: string[];
}

/**
 * World-writable means the `o+w` bit on a regular file or a folder. Symlinks are always 0777 and not
 * followed; devices, sockets and pipes are left out. A world-writable folder with the sticky bit (`/tmp`)
 * only lets users remove their own files, so it is not reported unless `includeStickyDirs`.
 */
export function isWorldWritable(stats: Stats, includeStickyDirs: boolean): boolean {
  if ((stats.mode & 0o002) === 0) return false;
  if (stats.isFile()) return true;
  return stats.isDirectory() && (includeStickyDirs || (stats.mode & 0o1000) === 0);
}

export async function scanWorldWritable(
  options: WorldWritableOptions,
  signal: AbortSignal,
): Promise<WorldWritableScan> {
  const maxFiles = options.maxFiles ?? FILE_PERMISSIONS_DEFAULTS.maxFiles;
  const includeSticky = options.includeStickyDirs ?? FILE_PERMISSIONS_DEFAULTS.includeStickyDirs;
  const excluded = (path: string) =>
    (options.exclude ?? []).some(
      (ex) => path === ex.replace(/\/+$/, '') || path.startsWith(`${ex.replace(/\/+$/, '')}/`),
    );
  const scan: WorldWritableScan = { found: [], scanned: 0, truncated: false, unreadable: [] };

  for (const root of options.paths) {
    let start: string;
    let rootStats: Stats;
    try {
      // The configured root itself may be a symlink (/var/run -> /run): resolve it once, follow nothing below.
      start = await realpath(root);
      rootStats = await lstat(start);
    } catch (err) {
      scan.unreadable.push(`${root}: ${describeError(err)}`);
      continue;
    }
    if (excluded(start)) continue;
    const stack: { path: string; stats: Stats }[] = [{ path: start, stats: rootStats }];
    while (stack.length > 0) {
      signal.throwIfAborted();
      const { path, stats } = stack.pop() as { path: string; stats: Stats };
      if (scan.scanned >= maxFiles) {
        scan.truncated = true;
        return scan;
      }
      scan.scanned++;
      if (isWorldWritable(stats, includeSticky)) scan.found.push(path);
      if (!stats.isDirectory()) continue;
      let names: string[];
      try {
        names = await readdir(path);
      } catch (err) {
        scan.unreadable.push(`${path}: ${describeError(err)}`);
        continue;
      }
      for (const name of names.sort().reverse()) {
        const child = join(path, name);
        if (excluded(child)) continue;
        let childStats: Stats;
        try {
          childStats = await lstat(child);
        } catch (err) {
          if (hasErrorCode(err, 'ENOENT')) continue; // removed since the listing: nothing to judge
          scan.unreadable.push(`${child}: ${describeError(err)}`);
          continue;
        }
        // Another filesystem mounted below the root is not scanned (not even its top folder).
        if (childStats.dev !== rootStats.dev) continue;
        stack.push({ path: child, stats: childStats });
      }
    }
  }
  return scan;
}
