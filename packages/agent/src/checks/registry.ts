// Maps the `type` names of the config to check plugins; the scheduler knows checks only through this map.
// Each entry is a dynamic import, so a running agent loads (and compiles the option schema of) only the checks
// its config names: the default config never loads the backup, TLS or HTTP code, nor their libraries.
import type { CheckPlugin } from './types.js';

type Loader = () => Promise<{ default: CheckPlugin }>;

// One line per check. No cast is needed: `run` is declared as a method, so its options parameter is
// compared bivariantly; the scheduler must validate options against `plugin.options` before calling it.
const loaders: Readonly<Record<string, Loader>> = {
  filesystem: () => import('./performance/filesystem/index.js'),
  cpu: () => import('./performance/cpu/index.js'),
  memory: () => import('./performance/memory/index.js'),
  'disk-io': () => import('./performance/disk-io/index.js'),
  network: () => import('./performance/network/index.js'),
  service: () => import('./performance/service/index.js'),
  http: () => import('./performance/http/index.js'),
  tcp: () => import('./performance/tcp/index.js'),
  'backup-freshness': () => import('./backup/freshness/index.js'),
  'backup-size': () => import('./backup/size/index.js'),
  'backup-retention': () => import('./backup/retention/index.js'),
  'backup-integrity': () => import('./backup/integrity/index.js'),
  restic: () => import('./backup/restic/index.js'),
  borg: () => import('./backup/borg/index.js'),
  'restore-test': () => import('./backup/restore-test/index.js'),
  'tls-certificate-file': () => import('./security/tls-certificate/index.js'),
  'tls-certificate-endpoint': () => import('./security/tls-endpoint/index.js'),
  'package-updates': () => import('./security/updates/index.js'),
  'reboot-required': () => import('./security/reboot-required/index.js'),
  'listening-ports': () => import('./security/listening-ports/index.js'),
  'sshd-config': () => import('./security/sshd/index.js'),
  accounts: () => import('./security/accounts/index.js'),
  'file-permissions': () => import('./security/file-permissions/index.js'),
  firewall: () => import('./security/firewall/index.js'),
  'failed-logins': () => import('./security/failed-logins/index.js'),
  fingerprint: () => import('./drift/fingerprint/index.js'),
  nagios: () => import('./nagios/index.js'),
};

/** True when `type` names a known check (without loading it). */
export function isCheckType(type: string): boolean {
  return Object.hasOwn(loaders, type);
}

/** The known type names, sorted, for `vigie-agent checks` and config error messages. */
export function checkTypes(): string[] {
  return Object.keys(loaders).sort();
}

/** Loads the plugin of a check type (its module is evaluated on first use only), or undefined if unknown. */
export async function loadCheck(type: string): Promise<CheckPlugin | undefined> {
  const load = isCheckType(type) ? loaders[type] : undefined;
  if (!load) return undefined;
  const plugin = (await load()).default;
  if (plugin.type !== type) throw new Error(`check registry: "${type}" loads the plugin of "${plugin.type}"`);
  return plugin;
}

/** Loads the plugins of the given types, once each; unknown types are left out. */
export async function loadChecks(types: Iterable<string>): Promise<Map<string, CheckPlugin>> {
  const out = new Map<string, CheckPlugin>();
  for (const type of new Set(types)) {
    const plugin = await loadCheck(type);
    if (plugin) out.set(type, plugin);
  }
  return out;
}
