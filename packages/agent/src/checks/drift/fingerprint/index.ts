// The `fingerprint` check: OS, hardware and package versions as a snapshot the collector diffs for drift.
import type { Metrics } from '@vigie/shared';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, type CheckPlugin, defineCheck } from '../../types.js';
import { type HostFacts, hostSnapshot, readHostFacts } from './host.js';
import { FINGERPRINT_DEFAULTS, FingerprintOptionsSchema } from './options.js';
import {
  type InstalledPackages,
  PACKAGE_MANAGERS,
  type PackageManager,
  readInstalledPackages,
} from './packages.js';

/** The check with its package managers given, so tests can run it on hosts without dpkg or rpm. */
export function createFingerprintCheck(
  managers: readonly PackageManager[],
): CheckPlugin<typeof FingerprintOptionsSchema> {
  return defineCheck({
    type: 'fingerprint',
    category: 'drift',
    summary: 'Host fingerprint (OS, kernel, CPU, memory, installed packages) for drift detection',
    options: FingerprintOptionsSchema,
    async run(options, ctx): Promise<CheckOutcome> {
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
      const snapshot = hostSnapshot(facts);

      if (!(options.packages ?? FINGERPRINT_DEFAULTS.packages)) {
        return { status: 'ok', metrics, snapshot, message: `${host}; packages not listed (packages: false)` };
      }
      let installed: InstalledPackages;
      try {
        installed = await readInstalledPackages(ctx.signal, managers);
      } catch (err) {
        // A partial fingerprint would read as every package removed: send none rather than a false drift.
        return {
          status: 'unknown',
          metrics,
          message: `${host}; cannot list packages: ${describeError(err)}`,
        };
      }
      if (installed.manager === undefined) {
        const tried = managers.map((manager) => manager.command).join(', ');
        return { status: 'ok', metrics, snapshot, message: `${host}; no package manager found (${tried})` };
      }
      for (const [name, version] of installed.packages) snapshot[`package.${name}`] = version;
      metrics.packages = installed.packages.size;
      return {
        status: 'ok',
        metrics,
        snapshot,
        message: `${host}; ${installed.packages.size} ${installed.manager} packages`,
      };
    },
  });
}

export const fingerprintCheck = createFingerprintCheck(PACKAGE_MANAGERS);

export default fingerprintCheck;
