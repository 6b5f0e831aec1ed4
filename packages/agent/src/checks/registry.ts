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
import { accountsCheck } from './security/accounts/index.js';
import { failedLoginsCheck } from './security/failed-logins/index.js';
import { filePermissionsCheck } from './security/file-permissions/index.js';
import { firewallCheck } from './security/firewall/index.js';
import { listeningPortsCheck } from './security/listening-ports/index.js';
import { rebootRequiredCheck } from './security/reboot-required/index.js';
import { sshdCheck } from './security/sshd/index.js';
import { tlsCertificateFileCheck } from './security/tls-certificate/index.js';
import { tlsEndpointCheck } from './security/tls-endpoint/index.js';
import { updatesCheck } from './security/updates/index.js';
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
  tlsEndpointCheck,
  updatesCheck,
  rebootRequiredCheck,
  listeningPortsCheck,
  sshdCheck,
  accountsCheck,
  filePermissionsCheck,
  firewallCheck,
  failedLoginsCheck,
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
