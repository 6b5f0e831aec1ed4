// Maps the `type` names of the config to check plugins; the scheduler knows checks only through this map.

import { borgCheck } from './backup/borg/index.js';
import { backupFreshnessCheck } from './backup/freshness/index.js';
import { backupIntegrityCheck } from './backup/integrity/index.js';
import { resticCheck } from './backup/restic/index.js';
import { restoreTestCheck } from './backup/restore-test/index.js';
import { backupRetentionCheck } from './backup/retention/index.js';
import { backupSizeCheck } from './backup/size/index.js';
import { fingerprintCheck } from './drift/fingerprint/index.js';
import { nagiosCheck } from './nagios/index.js';
import { cpuCheck } from './performance/cpu/index.js';
import { diskIoCheck } from './performance/disk-io/index.js';
import { filesystemCheck } from './performance/filesystem/index.js';
import { httpCheck } from './performance/http/index.js';
import { memoryCheck } from './performance/memory/index.js';
import { networkCheck } from './performance/network/index.js';
import { serviceCheck } from './performance/service/index.js';
import { tcpCheck } from './performance/tcp/index.js';
import { tlsCertificateFileCheck } from './security/tls-certificate/index.js';
import type { CheckPlugin } from './types.js';

// One line per check. No cast is needed: `run` is declared as a method, so its options parameter is
// compared bivariantly; the scheduler must validate options against `plugin.options` before calling it.
const plugins: readonly CheckPlugin[] = [
  filesystemCheck,
  cpuCheck,
  memoryCheck,
  diskIoCheck,
  networkCheck,
  serviceCheck,
  httpCheck,
  tcpCheck,
  backupFreshnessCheck,
  backupSizeCheck,
  backupRetentionCheck,
  backupIntegrityCheck,
  resticCheck,
  borgCheck,
  restoreTestCheck,
  tlsCertificateFileCheck,
  fingerprintCheck,
  nagiosCheck,
];

export const checkRegistry: ReadonlyMap<string, CheckPlugin> = new Map(
  plugins.map((plugin) => [plugin.type, plugin]),
);

export function getCheck(type: string): CheckPlugin | undefined {
  return checkRegistry.get(type);
}

/** The known type names, sorted, for `vigie-agent checks` and config error messages. */
export function checkTypes(): string[] {
  return [...checkRegistry.keys()].sort();
}
