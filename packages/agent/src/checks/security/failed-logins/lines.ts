// Recognises failed login lines of sshd and PAM, and where they came from.

/**
 * `Failed password for [invalid user] X from IP port N ssh2` (sshd), `Invalid user X from IP port N` (sshd),
 * `pam_unix(sshd:auth): authentication failure; ... rhost=IP` (PAM). `PAM 2 more authentication failures`
 * is a summary of lines already counted, hence the word boundary.
 */
const FAILURE = /Failed password|Invalid user|\bauthentication failure\b/;
const SOURCE = /\bfrom (\S+) port \d+|\brhost=(\S+)/;

export interface FailureCount {
  failures: number;
  /** Distinct remote addresses (or host names, as PAM logs them) of the counted lines. */
  sources: Set<string>;
}

export function emptyCount(): FailureCount {
  return { failures: 0, sources: new Set() };
}

/** Adds the failed login lines of `text` to `count`; one line counts once whatever it matches. */
export function countFailures(text: string, count: FailureCount = emptyCount()): FailureCount {
  for (const line of text.split('\n')) {
    if (!FAILURE.test(line)) continue;
    count.failures++;
    const m = SOURCE.exec(line);
    const source = m?.[1] ?? m?.[2];
    if (source !== undefined && source !== '') count.sources.add(source);
  }
  return count;
}
