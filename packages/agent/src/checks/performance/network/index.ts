// The `network` check: per-interface traffic, and errors and drops since the previous run, from /proc/net/dev.
import { readFile } from 'node:fs/promises';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckPlugin, defineCheck } from '../../types.js';
import { exchangeSample, ratesByInstance } from '../counters.js';
import { type InterfaceCounters, parseNetDev, selectInterfaces } from './netdev.js';
import { NETWORK_DEFAULTS, NetworkOptionsSchema } from './options.js';
import { interfaceRates, judgeInterfaces } from './verdict.js';

/** The interfaces of the agent's network namespace. */
export const NET_DEV_PATH = '/proc/net/dev';
const STATE_KEY = 'net-dev';

/**
 * The check reading `netDevPath`. Another network namespace (a container's) is watched through the
 * `/proc/<pid>/net/dev` of a process inside it; the registered check reads the agent's own.
 */
export function createNetworkCheck(netDevPath = NET_DEV_PATH): CheckPlugin<typeof NetworkOptionsSchema> {
  return defineCheck({
    type: 'network',
    category: 'performance',
    summary: 'Per-interface traffic, errors and drops since the previous run',
    options: NetworkOptionsSchema,
    async run(options, ctx) {
      let all: Record<string, InterfaceCounters>;
      try {
        all = parseNetDev(await readFile(netDevPath, { encoding: 'utf8', signal: ctx.signal }));
      } catch (err) {
        return unknownOutcome(`cannot read ${netDevPath}: ${describeError(err)}`);
      }
      const { selected, missing } = selectInterfaces(all, {
        interfaces: options.interfaces,
        excludeInterfaces: options.excludeInterfaces ?? NETWORK_DEFAULTS.excludeInterfaces,
      });
      if (Object.keys(selected).length === 0 && missing.length === 0) {
        return unknownOutcome('no interface left to watch once interfaces and excludeInterfaces are applied');
      }
      const current = { atMs: ctx.now().getTime(), values: selected };
      const previous = exchangeSample(ctx.state, STATE_KEY, current);
      return judgeInterfaces(selected, ratesByInstance(previous, current, interfaceRates), missing, {
        warning: options.errorsWarning ?? NETWORK_DEFAULTS.errorsWarning,
        critical: options.errorsCritical ?? NETWORK_DEFAULTS.errorsCritical,
      });
    },
  });
}

export const networkCheck = createNetworkCheck();

export default networkCheck;
