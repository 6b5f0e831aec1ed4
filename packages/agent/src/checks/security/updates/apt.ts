// Reads the upgrades `apt-get -s dist-upgrade` would install: one `Inst` line per package.
import type { PendingUpdate } from './pending.js';

// `Inst libssl3 [3.0.19-1~deb12u2] (3.0.22-1~deb12u2 Debian-Security:12/oldstable-security [amd64]) []`
// A package newly pulled in has no `[old version]`.
const INST = /^Inst (\S+)(?: \[([^\]]*)\])? \((\S+) ([^)]*)\)/;

/**
 * Every `Inst` line of an apt-get simulation, in apt's order. An update is a security one when one of the
 * archives offering the new version is a `-security` suite (`Debian-Security:12/stable-security`,
 * `Ubuntu:22.04/jammy-security`).
 */
export function parseAptSimulation(stdout: string): PendingUpdate[] {
  const updates: PendingUpdate[] = [];
  for (const line of stdout.split('\n')) {
    const m = INST.exec(line);
    if (!m) continue;
    const [, name, from, to, origins] = m;
    if (name === undefined || to === undefined) continue;
    updates.push({
      name,
      from,
      to,
      security: (origins ?? '').toLowerCase().includes('-security'),
    });
  }
  return updates;
}
