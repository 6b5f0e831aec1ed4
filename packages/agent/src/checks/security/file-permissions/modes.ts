// Judges one sensitive file's owner, group and mode against what is expected. Pure: no file access.
import type { Status } from '@vigie/shared';
import type { SensitiveFile } from './options.js';

/** `0600` / `600` -> 0o600. */
export function parseMode(text: string): number {
  return Number.parseInt(text, 8);
}

/** 0o600 -> `0600`. */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

export interface FileFacts {
  /** Permission bits, set-id and sticky included (`st_mode & 07777`). */
  mode: number;
  uid: number;
  gid: number;
}

export interface Finding {
  status: Status;
  kind: 'mode' | 'owner';
  text: string;
}

export interface Principals {
  /** Name or numeric text -> id; undefined when the name is unknown on this host. */
  uid(nameOrId: string): number | undefined;
  gid(nameOrId: string): number | undefined;
  userName(uid: number): string;
  groupName(gid: number): string;
}

/**
 * Everything wrong with one file. More permission than expected (a bit beyond `maxMode`, or a bit `mode`
 * does not have) is critical: someone else may read or change the file. Fewer bits than `mode`, or another
 * owner or group, is a warning.
 */
export function judgeFile(expected: SensitiveFile, facts: FileFacts, principals: Principals): Finding[] {
  const findings: Finding[] = [];
  const mode = facts.mode & 0o7777;
  if (expected.mode !== undefined) {
    const want = parseMode(expected.mode);
    if (mode !== want) {
      const extra = (mode & ~want) !== 0;
      findings.push({
        status: extra ? 'critical' : 'warning',
        kind: 'mode',
        text: `${expected.path} mode ${formatMode(mode)} (expected ${formatMode(want)})`,
      });
    }
  }
  if (expected.maxMode !== undefined) {
    const max = parseMode(expected.maxMode);
    if ((mode & ~max) !== 0) {
      findings.push({
        status: 'critical',
        kind: 'mode',
        text: `${expected.path} mode ${formatMode(mode)} exceeds ${formatMode(max)}`,
      });
    }
  }
  if (expected.owner !== undefined && principals.uid(expected.owner) !== facts.uid) {
    findings.push({
      status: 'warning',
      kind: 'owner',
      text: `${expected.path} owner ${principals.userName(facts.uid)} (expected ${expected.owner})`,
    });
  }
  if (expected.group !== undefined && principals.gid(expected.group) !== facts.gid) {
    findings.push({
      status: 'warning',
      kind: 'owner',
      text: `${expected.path} group ${principals.groupName(facts.gid)} (expected ${expected.group})`,
    });
  }
  return findings;
}
