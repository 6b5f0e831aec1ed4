// What both package managers report, and how it is judged: counts against thresholds, a few names to show.
import type { Status } from '@vigie/shared';
import { thresholdStatus } from '../../types.js';
import { UPDATES_DEFAULTS, type UpdatesOptions } from './options.js';

export interface PendingUpdate {
  name: string;
  /** Installed version; undefined for a package the upgrade newly installs. */
  from: string | undefined;
  /** Version the upgrade would install (`undefined` when the manager does not say). */
  to: string | undefined;
  security: boolean;
}

export interface UpdatesVerdict {
  status: Status;
  message: string;
  updates: number;
  securityUpdates: number;
}

/** How many package names the message shows before `...`. */
export const NAMES_SHOWN = 3;

export function judgeUpdates(
  manager: string,
  pending: readonly PendingUpdate[],
  options: UpdatesOptions,
): UpdatesVerdict {
  const names = unique(pending.map((u) => u.name));
  const security = unique(pending.filter((u) => u.security).map((u) => u.name));
  const securityStatus = thresholdStatus(
    security.length,
    options.securityWarning ?? UPDATES_DEFAULTS.securityWarning,
    options.securityCritical,
  );
  const totalStatus = thresholdStatus(names.length, options.totalWarning, undefined);
  const status = securityStatus === 'ok' ? totalStatus : securityStatus;
  let message: string;
  if (names.length === 0) message = `${manager}: no pending update`;
  else {
    const shown = security.length > 0 ? security : names;
    message = `${manager}: ${names.length} update(s), ${security.length} security (${sample(shown)})`;
  }
  return { status, message, updates: names.length, securityUpdates: security.length };
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

function sample(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_SHOWN).join(', ');
  return names.length > NAMES_SHOWN ? `${shown}, ...` : shown;
}
