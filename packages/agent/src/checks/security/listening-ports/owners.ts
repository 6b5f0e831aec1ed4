// Finds which process owns a socket: /proc/<pid>/fd/<n> links read `socket:[<inode>]`. Best effort.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { hasErrorCode } from '../../failure.js';

/**
 * Another user's process cannot be inspected without root (EACCES), and processes and descriptors come and
 * go while we read (ENOENT, ESRCH): those are skipped, their sockets stay unnamed. Anything else is a bug
 * worth seeing.
 */
function isExpectedMiss(err: unknown): boolean {
  return ['EACCES', 'EPERM', 'ENOENT', 'ESRCH'].some((code) => hasErrorCode(err, code));
}

/** Inode -> process name (`comm`) for the wanted inodes. */
export async function socketOwners(
  inodes: ReadonlySet<string>,
  signal: AbortSignal,
  procRoot = '/proc',
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const pids = (await readdir(procRoot)).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    if (owners.size === inodes.size || signal.aborted) break;
    const found = await socketsOf(join(procRoot, pid), inodes);
    if (found.length === 0) continue;
    const name = await processName(join(procRoot, pid));
    for (const inode of found) if (!owners.has(inode)) owners.set(inode, name);
  }
  return owners;
}

async function socketsOf(pidDir: string, inodes: ReadonlySet<string>): Promise<string[]> {
  let fds: string[];
  try {
    fds = await readdir(join(pidDir, 'fd'));
  } catch (err) {
    if (isExpectedMiss(err)) return [];
    throw err;
  }
  const found: string[] = [];
  for (const fd of fds) {
    let target: string;
    try {
      target = await readlink(join(pidDir, 'fd', fd));
    } catch (err) {
      if (isExpectedMiss(err)) continue;
      throw err;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m?.[1] !== undefined && inodes.has(m[1])) found.push(m[1]);
  }
  return found;
}

async function processName(pidDir: string): Promise<string> {
  try {
    return (await readFile(join(pidDir, 'comm'), 'utf8')).trim();
  } catch (err) {
    if (isExpectedMiss(err)) return '?';
    throw err;
  }
}
