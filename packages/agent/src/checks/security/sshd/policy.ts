// Reads `sshd -T` (the effective configuration, one `keyword value` per line) and compares it with a policy.
import type { Status } from '@vigie/shared';
import type { ExpectedValue, SshdPolicy } from './options.js';

/** Keyword -> values, in order; repeated keywords (hostkey, acceptenv, listenaddress) keep every value. */
export type SshdSettings = Map<string, string[]>;

export function parseSshdT(stdout: string): SshdSettings {
  const settings: SshdSettings = new Map();
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m?.[1] || m[2] === undefined) continue;
    const keyword = m[1].toLowerCase();
    settings.set(keyword, [...(settings.get(keyword) ?? []), m[2]]);
  }
  return settings;
}

export interface Violation {
  keyword: string;
  /** What sshd reports, or undefined when it does not report the keyword at all. */
  actual: string | undefined;
  expected: string;
  /** Root login with a password, or empty passwords: an open door, critical. */
  critical: boolean;
}

/** Spellings sshd accepts as the same value. */
const ALIASES: Record<string, string> = { 'without-password': 'prohibit-password' };
const normalise = (value: string) => {
  const lower = value.toLowerCase();
  return ALIASES[lower] ?? lower;
};

export function describeExpected(expected: ExpectedValue): string {
  if (typeof expected === 'string') return expected;
  if (Array.isArray(expected)) return expected.join('|');
  return 'max' in expected ? `<= ${expected.max}` : `>= ${expected.min}`;
}

function meets(actual: string, expected: ExpectedValue): boolean {
  if (typeof expected === 'string') return normalise(actual) === normalise(expected);
  if (Array.isArray(expected)) return expected.some((value) => normalise(value) === normalise(actual));
  const value = Number(actual);
  if (!Number.isFinite(value)) return false;
  return 'max' in expected ? value <= expected.max : value >= expected.min;
}

const OPEN_DOORS: Record<string, string> = { permitrootlogin: 'yes', permitemptypasswords: 'yes' };

export function checkPolicy(settings: SshdSettings, policy: SshdPolicy): Violation[] {
  const violations: Violation[] = [];
  for (const [keyword, expected] of Object.entries(policy)) {
    const values = settings.get(keyword);
    const bad = values === undefined ? undefined : values.find((value) => !meets(value, expected));
    if (values !== undefined && bad === undefined) continue;
    violations.push({
      keyword,
      actual: bad,
      expected: describeExpected(expected),
      critical: bad !== undefined && OPEN_DOORS[keyword] === normalise(bad),
    });
  }
  return violations;
}

export function violationsStatus(violations: readonly Violation[]): Status {
  if (violations.some((v) => v.critical)) return 'critical';
  return violations.length > 0 ? 'warning' : 'ok';
}

/** `permitrootlogin yes (expected no|prohibit-password)`; long values (cipher lists) are cut. */
export function describeViolation(v: Violation): string {
  if (v.actual === undefined) return `${v.keyword} not reported by sshd -T (expected ${v.expected})`;
  const actual = v.actual.length > 40 ? `${v.actual.slice(0, 37)}...` : v.actual;
  return `${v.keyword} ${actual} (expected ${v.expected})`;
}
