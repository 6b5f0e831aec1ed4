// Finds the newest of the backup files and says how old it is, in words an operator reads at a glance.
import { stat } from 'node:fs/promises';
import { isDynamicPattern } from 'tinyglobby';
import { hasErrorCode } from '../../failure.js';

export interface BackupFile {
  path: string;
  sizeBytes: number;
  modifiedMs: number;
}

/**
 * Size and modification time of each file. A file deleted between the glob and the stat (rotation running
 * at that very moment) is left out rather than failing the check; any other error is rethrown.
 */
export async function statBackups(paths: readonly string[]): Promise<BackupFile[]> {
  const files = await Promise.all(
    paths.map(async (path): Promise<BackupFile | undefined> => {
      try {
        const stats = await stat(path);
        return { path, sizeBytes: stats.size, modifiedMs: stats.mtimeMs };
      } catch (err) {
        if (hasErrorCode(err, 'ENOENT')) return undefined;
        throw err;
      }
    }),
  );
  return files.filter((file) => file !== undefined);
}

/** The most recently modified file; on a tie, the first path in alphabetical order. */
export function newestBackup(files: readonly BackupFile[]): BackupFile | undefined {
  let newest: BackupFile | undefined;
  for (const file of files) {
    if (
      newest === undefined ||
      file.modifiedMs > newest.modifiedMs ||
      (file.modifiedMs === newest.modifiedMs && file.path < newest.path)
    ) {
      newest = file;
    }
  }
  return newest;
}

const AGE_UNITS: readonly [string, number][] = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** `3d 4h`, `5h 12m`, `7m 3s`, `42s`: the two largest units, enough to judge a backup's age. */
export function formatAge(seconds: number): string {
  let rest = Math.max(0, Math.floor(seconds));
  const parts: string[] = [];
  for (const [unit, size] of AGE_UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${unit}`);
    else if (parts.length > 0) break;
    if (parts.length === 2) break;
  }
  return parts.length > 0 ? parts.join(' ') : '0s';
}

/** The folder an absolute glob starts from (its segments before any wildcard): `/b/*.gz` -> `/b`. */
export function globBase(pattern: string): string {
  const segments = pattern.split('/');
  const dynamicAt = segments.findIndex((segment) => isDynamicPattern(segment));
  const fixed = dynamicAt < 0 ? segments.slice(0, -1) : segments.slice(0, dynamicAt);
  return fixed.join('/') || '/';
}
