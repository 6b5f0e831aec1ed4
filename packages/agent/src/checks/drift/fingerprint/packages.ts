// Lists installed packages and their versions with the host's package manager: dpkg, else rpm.

import { hasErrorCode } from '../../failure.js';
import { execTool } from '../../spawn.js';

/** Package name -> version; several versions of one name (multi-arch, kernels) are joined, sorted. */
export type PackageVersions = Map<string, string>;

export interface PackageManager {
  name: string;
  command: string;
  args: readonly string[];
  parse(stdout: string): PackageVersions;
}

/**
 * `dpkg-query -W` lists every package dpkg knows, removed ones included. The second letter of the status
 * is the current state: `i` is installed (`ii`, or `hi` when held); `rc` (config files left) and `iU`
 * (unpacked, not configured) are not installed packages.
 */
export function parseDpkgQuery(stdout: string): PackageVersions {
  return collect(
    stdout.split('\n').flatMap((line) => {
      const [name, version, status] = line.split('\t');
      return name && version && status?.[1] === 'i' ? [[name, version] as const] : [];
    }),
  );
}

/** `rpm -qa` lists installed packages only; the query format gives `name<TAB>version-release`. */
export function parseRpmQuery(stdout: string): PackageVersions {
  return collect(
    stdout.split('\n').flatMap((line) => {
      const [name, version] = line.split('\t');
      return name && version ? [[name, version] as const] : [];
    }),
  );
}

function collect(pairs: readonly (readonly [string, string])[]): PackageVersions {
  const versions = new Map<string, Set<string>>();
  for (const [name, version] of pairs) {
    const seen = versions.get(name) ?? new Set<string>();
    seen.add(version);
    versions.set(name, seen);
  }
  const sortedNames = [...versions.keys()].sort();
  return new Map(sortedNames.map((name) => [name, [...(versions.get(name) ?? [])].sort().join(', ')]));
}

export const DPKG: PackageManager = {
  name: 'dpkg',
  command: 'dpkg-query',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax, not a JS template.
  args: ['-W', '-f=${Package}\\t${Version}\\t${db:Status-Abbrev}\\n'],
  parse: parseDpkgQuery,
};

export const RPM: PackageManager = {
  name: 'rpm',
  command: 'rpm',
  args: ['-qa', '--qf', '%{NAME}\\t%{VERSION}-%{RELEASE}\\n'],
  parse: parseRpmQuery,
};

/** Tried in order; the first one present on the host is used. */
export const PACKAGE_MANAGERS: readonly PackageManager[] = [DPKG, RPM];

export type InstalledPackages = { manager: string; packages: PackageVersions } | { manager: undefined };

/**
 * Asks the first package manager that exists. No package manager at all is a normal answer (`manager`
 * undefined); a package manager that fails, or the abort of `signal`, is an error.
 */
export async function readInstalledPackages(
  signal: AbortSignal,
  managers: readonly PackageManager[] = PACKAGE_MANAGERS,
): Promise<InstalledPackages> {
  for (const manager of managers) {
    let stdout: string;
    try {
      ({ stdout } = await execTool(manager.command, manager.args, {
        signal,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C' },
      }));
    } catch (err) {
      if (hasErrorCode(err, 'ENOENT')) continue;
      throw new Error(`${manager.command} failed: ${firstLine(err)}`, { cause: err });
    }
    return { manager: manager.name, packages: manager.parse(stdout) };
  }
  return { manager: undefined };
}

function firstLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'AbortError') return 'timed out (aborted)';
  const stderr = (err as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : err.message;
  return text.trim().split('\n', 1)[0] ?? '';
}
