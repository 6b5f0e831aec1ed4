// The `fingerprint` check: OS, capacity, packages, runtimes and configuration as a snapshot the collector diffs.
import type { Metrics } from '@vigie/shared';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, type CheckPlugin, defineCheck } from '../../types.js';
import { configFileItems, type SecretRules } from './config-files.js';
import { deltaSize, diffSnapshot } from './delta.js';
import { filesystemItems } from './filesystems.js';
import { type HostFacts, hostSnapshot, readHostFacts } from './host.js';
import { FingerprintItems } from './items.js';
import {
  FingerprintOptionsSchema,
  type ResolvedFingerprintOptions,
  resolveFingerprintOptions,
} from './options.js';
import {
  type InstalledPackages,
  PACKAGE_MANAGERS,
  type PackageManager,
  readInstalledPackages,
} from './packages.js';
import { probeVersions, VERSION_PROBES, type VersionProbe } from './runtimes.js';
import { loadSecretHashKey } from './secret-key.js';
import { secretKeyId, secretKeyMatcher } from './secrets.js';
import { tomcatHomes, tomcatItems } from './tomcat.js';

/** Where the check keeps its last full item set in `ctx.state`, for the transport to send deltas against. */
export const LAST_SNAPSHOT_STATE = 'fingerprint.lastSnapshot';

/** Where runtimes are looked for, given so tests can point the check at runtimes this host lacks. */
export interface RuntimeSources {
  probes: readonly VersionProbe[];
  tomcatHomes: () => Promise<string[]>;
}

/** The check with its package managers (and runtime sources) given, so tests can run it on any host. */
export function createFingerprintCheck(
  managers: readonly PackageManager[],
  sources: Partial<RuntimeSources> = {},
): CheckPlugin<typeof FingerprintOptionsSchema> {
  const probes = sources.probes ?? VERSION_PROBES;
  const homes = sources.tomcatHomes ?? (() => tomcatHomes());
  return defineCheck({
    type: 'fingerprint',
    category: 'drift',
    summary: 'Host fingerprint (OS, capacity, packages, runtimes, configuration files) for drift detection',
    options: FingerprintOptionsSchema,
    async run(options, ctx): Promise<CheckOutcome> {
      const resolved = resolveFingerprintOptions(options);
      let facts: HostFacts;
      try {
        facts = await readHostFacts();
      } catch (err) {
        return unknownOutcome(`cannot read the OS information: ${describeError(err)}`);
      }
      if (facts.distro === '' && facts.kernel === '') {
        return unknownOutcome(
          'cannot read the OS information: neither the distribution nor the kernel is known',
        );
      }
      const metrics: Metrics = { cpu_cores: facts.cpuCores, memory_bytes: facts.memoryBytes };
      const codename = facts.codename ? ` (${facts.codename})` : '';
      const host = `${facts.distro} ${facts.release}${codename}, kernel ${facts.kernel}`;
      const items = new FingerprintItems();
      items.addAll(hostSnapshot(facts));
      const parts = [host];
      const failure = await addHostSources(
        resolved,
        { managers, probes, tomcatHomes: homes },
        ctx.signal,
        items,
        metrics,
        parts,
      );
      // A partial fingerprint would read as filesystems or packages removed: send none rather than a false drift.
      if (failure !== undefined) return { status: 'unknown', metrics, message: `${host}; ${failure}` };
      if (resolved.configFiles.length > 0) {
        try {
          parts.push(...(await addConfigFiles(resolved, items, metrics, ctx.signal)));
        } catch (err) {
          return {
            status: 'unknown',
            metrics,
            message: `${host}; cannot read configuration files: ${describeError(err)}`,
          };
        }
      }
      // Declared items replace measured ones (documented: for what the guest cannot see right).
      const snapshot = { ...items.toSnapshot(), ...resolved.overrides };
      parts.push(...countItems(items, snapshot, ctx.state, metrics));
      ctx.state.set(LAST_SNAPSHOT_STATE, snapshot);
      return { status: 'ok', metrics, snapshot, message: parts.join('; ') };
    },
  });
}

export const fingerprintCheck = createFingerprintCheck(PACKAGE_MANAGERS);

export default fingerprintCheck;

/**
 * Filesystems, runtimes and packages: independent and mostly waiting on child processes, so run together and
 * added in a fixed order. Returns why the fingerprint cannot be sent, or undefined.
 */
async function addHostSources(
  options: ResolvedFingerprintOptions,
  sources: RuntimeSources & { managers: readonly PackageManager[] },
  signal: AbortSignal,
  items: FingerprintItems,
  metrics: Metrics,
  parts: string[],
): Promise<string | undefined> {
  const [filesystems, runtimes, installed] = await Promise.allSettled([
    filesystemItems(signal, options.probeTimeoutMs),
    options.runtimes ? readRuntimes(sources, options.probeTimeoutMs, signal) : Promise.resolve([]),
    options.packages
      ? readInstalledPackages(signal, sources.managers)
      : Promise.resolve<InstalledPackages>({ manager: undefined }),
  ]);
  if (filesystems.status === 'rejected') {
    return `cannot read the mount table: ${describeError(filesystems.reason)}`;
  }
  if (runtimes.status === 'rejected') return `cannot ask runtimes: ${describeError(runtimes.reason)}`;
  if (installed.status === 'rejected') return `cannot list packages: ${describeError(installed.reason)}`;
  items.addAll(filesystems.value);
  items.addAll(runtimes.value);
  parts.push(packagesPart(installed.value, options, sources.managers, items, metrics));
  if (options.runtimes) {
    parts.push(`${runtimes.value.filter(([key]) => !key.endsWith('.error')).length} runtimes`);
  }
  return undefined;
}

async function readRuntimes(
  sources: RuntimeSources,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<[string, string][]> {
  const [versions, tomcat] = await Promise.all([
    probeVersions(sources.probes, { timeoutMs, signal }),
    sources.tomcatHomes().then(tomcatItems),
  ]);
  return [...versions, ...tomcat].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function packagesPart(
  installed: InstalledPackages,
  options: ResolvedFingerprintOptions,
  managers: readonly PackageManager[],
  items: FingerprintItems,
  metrics: Metrics,
): string {
  if (!options.packages) return 'packages not listed (packages: false)';
  if (installed.manager === undefined) {
    return `no package manager found (${managers.map((manager) => manager.command).join(', ')})`;
  }
  for (const [name, version] of installed.packages) items.add(`package.${name}`, version);
  metrics.packages = installed.packages.size;
  return `${installed.packages.size} ${installed.manager} packages`;
}

/**
 * The key is loaded (or created) only when there are files to read: a host without any never gets one.
 * Returns the message parts; throws only when the check is aborted.
 */
async function addConfigFiles(
  options: ResolvedFingerprintOptions,
  items: FingerprintItems,
  metrics: Metrics,
  signal: AbortSignal,
): Promise<string[]> {
  const loaded = await loadSecretHashKey(options.secretHashKey.path, options.secretHashKey.generate);
  const key = 'key' in loaded ? loaded.key : undefined;
  if ('key' in loaded) items.add('secret.key.id', secretKeyId(loaded.key));
  else items.add('secret.key.error', loaded.error);
  const rules: SecretRules = { isSecretKey: secretKeyMatcher(options.secretKeys), key };
  let unreadable = 0;
  for (const file of options.configFiles) {
    const fileItems = await configFileItems(file, rules, signal);
    if (fileItems.some(([name]) => name === `file.${file.as ?? file.path}.error`)) unreadable++;
    items.addAll(fileItems);
  }
  metrics.config_file_errors = unreadable;
  const parts = [`${options.configFiles.length} config files (${unreadable} unreadable)`];
  if ('error' in loaded) {
    parts.push(`secret key file unusable (${loaded.error}): secret values sent as "redacted"`);
  }
  return parts;
}

/** Item counts, and what changed since the previous run's item set. */
function countItems(
  items: FingerprintItems,
  snapshot: Record<string, string>,
  state: Map<string, unknown>,
  metrics: Metrics,
): string[] {
  const parts: string[] = [];
  metrics.items = items.size;
  if (items.leftOut > 0) {
    metrics.items_left_out = items.leftOut;
    parts.push(`${items.leftOut} items left out (over the item limits)`);
  }
  const previous = state.get(LAST_SNAPSHOT_STATE) as Record<string, string> | undefined;
  if (previous !== undefined) {
    metrics.items_changed = deltaSize(diffSnapshot(previous, snapshot));
    parts.push(`${metrics.items_changed} items changed since the previous run`);
  }
  return parts;
}
