// Asks the host's package manager which updates are pending, without installing or locking anything.
import { runTool, type ToolExit } from '../../tool.js';
import { parseAptSimulation } from './apt.js';
import { markSecurity, parseDnfCheckUpdate, parseDnfSecurityList } from './dnf.js';
import type { PendingUpdate } from './pending.js';

const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

export interface PackageManager {
  name: string;
  /** The pending updates, or undefined when this manager is not installed. Throws when it fails. */
  pending(signal: AbortSignal): Promise<PendingUpdate[] | undefined>;
}

type Exit = ToolExit;

const runCommand = (command: string, args: readonly string[], signal: AbortSignal) =>
  runTool(command, args, signal, { maxBuffer: MAX_OUTPUT_BYTES });

function failure(command: string, exit: Exit): Error {
  const reason = exit.stderr.trim().split('\n').at(-1) ?? '';
  return new Error(`${command} exited with ${exit.code}${reason === '' ? '' : `: ${reason}`}`);
}

/** `apt-get -s` simulates: no root needed; NoLocking lets it run while another apt holds the lock. */
export function aptManager(command = 'apt-get'): PackageManager {
  return {
    name: 'apt',
    async pending(signal) {
      const exit = await runCommand(command, ['-s', '-o', 'Debug::NoLocking=1', 'dist-upgrade'], signal);
      if (exit === undefined) return undefined;
      if (exit.code !== 0) throw failure(`${command} -s dist-upgrade`, exit);
      return parseAptSimulation(exit.stdout);
    },
  };
}

/** `dnf check-update` exits 100 when updates are pending, 0 when none, anything else on error. */
export function dnfManager(command = 'dnf'): PackageManager {
  return {
    name: 'dnf',
    async pending(signal) {
      const check = await runCommand(command, ['-q', 'check-update'], signal);
      if (check === undefined) return undefined;
      if (check.code !== 0 && check.code !== 100) throw failure(`${command} check-update`, check);
      const updates = parseDnfCheckUpdate(check.stdout);
      if (updates.length === 0) return updates;
      const advisories = await runCommand(command, ['-q', 'updateinfo', 'list', '--security'], signal);
      if (advisories === undefined || advisories.code !== 0) {
        throw failure(
          `${command} updateinfo list --security`,
          advisories ?? { code: -1, stdout: '', stderr: '' },
        );
      }
      return markSecurity(updates, parseDnfSecurityList(advisories.stdout));
    },
  };
}

export const PACKAGE_MANAGERS: readonly PackageManager[] = [aptManager(), dnfManager()];
