// Reads `dnf check-update` (every pending update) and `dnf updateinfo list --security` (the security ones).
import type { PendingUpdate } from './pending.js';

const ARCHES = new Set([
  'x86_64',
  'noarch',
  'aarch64',
  'i686',
  'i386',
  'ppc64le',
  's390x',
  'armv7hl',
  'riscv64',
  'src',
]);

/** `openssl-libs.x86_64` -> `openssl-libs`; undefined when the text does not end with a known arch. */
function stripArch(nameDotArch: string): string | undefined {
  const dot = nameDotArch.lastIndexOf('.');
  if (dot <= 0 || !ARCHES.has(nameDotArch.slice(dot + 1))) return undefined;
  return nameDotArch.slice(0, dot);
}

/**
 * `dnf check-update` prints `name.arch  version-release  repository`, then, after an `Obsoleting Packages`
 * header, the obsoletes (not counted: their replacement is already listed). A long name may be wrapped, the
 * version and repository going to the next line. Other lines (metadata age, `Security: ... is an installed
 * security update`) are ignored.
 */
export function parseDnfCheckUpdate(stdout: string): PendingUpdate[] {
  const updates: PendingUpdate[] = [];
  let pendingName: string | undefined;
  for (const line of stdout.split('\n')) {
    if (/^Obsoleting Packages/i.test(line.trim())) break;
    const fields = line
      .trim()
      .split(/\s+/)
      .filter((f) => f !== '');
    if (pendingName !== undefined && fields.length === 2 && /^\s/.test(line)) {
      updates.push({ name: pendingName, from: undefined, to: fields[0], security: false });
      pendingName = undefined;
      continue;
    }
    pendingName = undefined;
    const name = fields[0] === undefined ? undefined : stripArch(fields[0]);
    if (name === undefined) continue;
    if (fields.length === 3) updates.push({ name, from: undefined, to: fields[1], security: false });
    else if (fields.length === 1) pendingName = name;
  }
  return updates;
}

/**
 * `openssl-libs-1:3.0.7-27.el9.x86_64` -> `openssl-libs`: drop the arch, then the release and the
 * (epoch:)version, the last two `-` separated parts.
 */
export function nevraName(nevra: string): string | undefined {
  const withoutArch = stripArch(nevra);
  if (withoutArch === undefined) return undefined;
  const parts = withoutArch.split('-');
  if (parts.length < 3) return undefined;
  return parts.slice(0, -2).join('-');
}

/**
 * The package names of `dnf updateinfo list --security`. dnf 4 prints `ADVISORY  Severity/Sec.  NEVRA`;
 * dnf 5 prints `ADVISORY  security  Severity  NEVRA  issued-date issued-time` under a header line. The
 * package column is found by its shape (a NEVRA with a known arch) rather than by position.
 */
export function parseDnfSecurityList(stdout: string): Set<string> {
  const names = new Set<string>();
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3) continue;
    for (const field of fields.slice(1)) {
      const name = nevraName(field);
      if (name !== undefined && !field.endsWith('.src')) {
        names.add(name);
        break;
      }
    }
  }
  return names;
}

/** The pending updates, each marked security when an advisory of type security covers its package. */
export function markSecurity(
  updates: readonly PendingUpdate[],
  security: ReadonlySet<string>,
): PendingUpdate[] {
  return updates.map((u) => ({ ...u, security: security.has(u.name) }));
}
