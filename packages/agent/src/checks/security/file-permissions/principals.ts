// User and group names <-> ids from /etc/passwd and /etc/group (the local databases, as `ls -l` shows them).
import { readFile } from 'node:fs/promises';
import { hasErrorCode } from '../../failure.js';
import type { Principals } from './modes.js';

/** `name:x:id:...` lines -> name -> id. */
export function parseIdDatabase(text: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id) && !ids.has(name)) ids.set(name, Number(id));
  }
  return ids;
}

export function principalsFrom(users: Map<string, number>, groups: Map<string, number>): Principals {
  const reverse = (map: Map<string, number>) => new Map([...map].reverse().map(([name, id]) => [id, name]));
  const userNames = reverse(users);
  const groupNames = reverse(groups);
  const lookup = (map: Map<string, number>, text: string) =>
    /^\d+$/.test(text) ? Number(text) : map.get(text);
  return {
    uid: (text) => lookup(users, text),
    gid: (text) => lookup(groups, text),
    userName: (uid) => userNames.get(uid) ?? String(uid),
    groupName: (gid) => groupNames.get(gid) ?? String(gid),
  };
}

/** The host's principals; a missing database is empty (numeric ids still work). */
export async function readPrincipals(signal: AbortSignal): Promise<Principals> {
  const read = async (path: string) => {
    try {
      return parseIdDatabase(await readFile(path, { encoding: 'utf8', signal }));
    } catch (err) {
      if (hasErrorCode(err, 'ENOENT')) return new Map<string, number>();
      throw err;
    }
  };
  return principalsFrom(await read('/etc/passwd'), await read('/etc/group'));
}
