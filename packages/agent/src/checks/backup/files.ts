// What the backup checks share: the backup files (or folders) a glob names, newest first, and what to
// report when none matches; whether a file can be read; the streaming SHA-256 they compare backups with;
// and how an age or a size is judged and worded.
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import type { Status } from '@vigie/shared';
import { glob } from 'tinyglobby';
import { describeError, hasErrorCode, unknownOutcome } from '../failure.js';
import type { CheckOutcome } from '../types.js';
import { type BackupFile, formatAge, globBase, statBackups } from './freshness/newest.js';

export type { BackupFile } from './freshness/newest.js';
export { formatAge } from './freshness/newest.js';

export type BackupKind = 'file' | 'directory';

/**
 * The regular files (or, with `kind: 'directory'`, the folders) matching an absolute glob, newest
 * modification first, then by path. Throws when the crawl fails or `signal` aborted it: an aborted crawl
 * returns what it found so far, which must never pass for "no backup".
 */
export async function listBackups(
  pattern: string,
  signal: AbortSignal,
  kind: BackupKind = 'file',
): Promise<BackupFile[]> {
  const paths = await glob(pattern, {
    absolute: true,
    onlyFiles: kind === 'file',
    onlyDirectories: kind === 'directory',
    signal,
  });
  signal.throwIfAborted();
  // Folders come back with a trailing slash; the root folder itself stays `/`.
  const normalised = paths.map((path) => (path.length > 1 ? path.replace(/\/+$/, '') : path));
  return sortNewestFirst(await statBackups(normalised));
}

/** Newest modification first; on a tie, the first path in alphabetical order (as backup-freshness). */
export function sortNewestFirst(files: readonly BackupFile[]): BackupFile[] {
  return [...files].sort(
    (a, b) => b.modifiedMs - a.modifiedMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}

/**
 * Nothing matched. The glob cannot tell a missing folder from one the agent may not read, so look at the
 * folder the glob starts from: missing (or simply empty of matches) is critical, unreadable is unknown.
 */
export async function noBackupOutcome(
  pattern: string,
  metrics: Record<string, number>,
): Promise<CheckOutcome> {
  const folder = globBase(pattern);
  const critical = (detail: string): CheckOutcome => ({
    status: 'critical',
    metrics,
    message: `no backup matches ${pattern}${detail}`,
  });
  try {
    await readdir(folder);
    return critical('');
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'ENOTDIR')) {
      return critical(` (${folder} does not exist)`);
    }
    return unknownOutcome(`cannot read ${folder} to look for ${pattern}: ${describeError(err)}`);
  }
}

/** The `unknown` outcome of a failed listing, worded as a timeout when the check's timeout fired. */
export function listingFailedOutcome(pattern: string, err: unknown, signal: AbortSignal): CheckOutcome {
  return unknownOutcome(`cannot list ${pattern}: ${signal.aborted ? 'timed out' : describeError(err)}`);
}

/** undefined when this process can read the file (and so can a tool it starts), else the reason. */
export async function readProblem(path: string): Promise<string | undefined> {
  try {
    await access(path, constants.R_OK);
    return undefined;
  } catch (err) {
    return describeError(err);
  }
}

/** The SHA-256 of a file in lowercase hex, read as a stream so a large dump never sits in memory. */
export async function sha256File(path: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { signal, highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `0 B`, `512 B`, `1.5 KiB`, `3.2 GiB`: sizes an operator reads at a glance. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 ? String(Math.round(value)) : value.toFixed(1);
  return `${shown} ${BYTE_UNITS[unit]}`;
}

/**
 * Critical past `maxAgeMs`, warning past `warningAgeMs`, with the limit worded for the message
 * (` (critical > 1d 12h)`), or an empty limit when ok.
 */
export function ageVerdict(
  ageMs: number,
  maxAgeMs: number,
  warningAgeMs: number | undefined,
): { status: Status; limit: string } {
  if (ageMs > maxAgeMs) return { status: 'critical', limit: ` (critical > ${formatAge(maxAgeMs / 1000)})` };
  if (warningAgeMs !== undefined && ageMs > warningAgeMs) {
    return { status: 'warning', limit: ` (warning > ${formatAge(warningAgeMs / 1000)})` };
  }
  return { status: 'ok', limit: '' };
}
