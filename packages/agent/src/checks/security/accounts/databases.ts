// Parses /etc/passwd and /etc/shadow into what the check needs. Password hashes are classified, never kept.

export interface PasswdEntry {
  name: string;
  uid: number;
  /** The passwd password field is empty: no password at all, shadow is not even consulted. */
  emptyPassword: boolean;
}

/** `name:x:uid:gid:gecos:home:shell`; comments, blank lines and NIS `+`/`-` lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const [name, password, uid] = line.split(':');
    if (!name || password === undefined || uid === undefined || !/^\d+$/.test(uid)) continue;
    entries.push({ name, uid: Number(uid), emptyPassword: password === '' });
  }
  return entries;
}

/** How a shadow password field reads: empty (log in without password), locked (`!`, `*`), or set. */
export type ShadowState = 'empty' | 'locked' | 'set';

export interface ShadowEntry {
  name: string;
  state: ShadowState;
}

export function parseShadow(text: string): ShadowEntry[] {
  const entries: ShadowEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const fields = line.split(':');
    const name = fields[0];
    const hash = fields[1];
    if (!name || hash === undefined) continue;
    const state: ShadowState =
      hash === '' ? 'empty' : hash.startsWith('!') || hash.startsWith('*') ? 'locked' : 'set';
    entries.push({ name, state });
  }
  return entries;
}

/** Accounts with UID 0 that are not in the allowed list. */
export function extraUid0(passwd: readonly PasswdEntry[], allowed: readonly string[]): string[] {
  return passwd.filter((e) => e.uid === 0 && !allowed.includes(e.name)).map((e) => e.name);
}

/** Accounts one may log into without a password: empty passwd field, or `x` pointing at an empty shadow field. */
export function emptyPasswords(
  passwd: readonly PasswdEntry[],
  shadow: readonly ShadowEntry[] | undefined,
): string[] {
  const fromShadow = new Set((shadow ?? []).filter((e) => e.state === 'empty').map((e) => e.name));
  return passwd.filter((e) => e.emptyPassword || fromShadow.has(e.name)).map((e) => e.name);
}
