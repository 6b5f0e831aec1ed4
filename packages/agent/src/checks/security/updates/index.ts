// The `package-updates` check: how many package updates are pending, and how many of them fix security issues.
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { PACKAGE_MANAGERS, type PackageManager } from './managers.js';
import { type UpdatesOptions, UpdatesOptionsSchema } from './options.js';
import { judgeUpdates } from './pending.js';

export const updatesCheck = defineCheck({
  type: 'package-updates',
  category: 'security',
  summary: 'Pending package updates (apt or dnf), and how many are security updates',
  options: UpdatesOptionsSchema,
  run(options, ctx): Promise<CheckOutcome> {
    return checkUpdates(options, ctx.signal, PACKAGE_MANAGERS);
  },
});

export default updatesCheck;

/** The first package manager present answers; none at all is `unknown`. Exported for tests. */
export async function checkUpdates(
  options: UpdatesOptions,
  signal: AbortSignal,
  managers: readonly PackageManager[],
): Promise<CheckOutcome> {
  for (const manager of managers) {
    let pending: Awaited<ReturnType<PackageManager['pending']>>;
    try {
      pending = await manager.pending(signal);
    } catch (err) {
      return unknownOutcome(`${manager.name}: cannot list pending updates: ${describeError(err)}`);
    }
    if (pending === undefined) continue;
    const verdict = judgeUpdates(manager.name, pending, options);
    return {
      status: verdict.status,
      metrics: { updates: verdict.updates, security_updates: verdict.securityUpdates },
      message: verdict.message,
    };
  }
  return unknownOutcome(
    `no supported package manager found (tried ${managers.map((m) => m.name).join(', ')})`,
  );
}
