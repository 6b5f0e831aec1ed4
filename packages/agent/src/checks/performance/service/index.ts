// The `service` check: is a systemd unit active, or are enough of a service's processes running, and did it
// restart since the previous run?
import { readFile } from 'node:fs/promises';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckContext, type CheckOutcome, defineCheck } from '../../types.js';
import { resolveTarget, ServiceOptionsSchema, type ServiceTarget } from './options.js';
import { judgeProcesses, processIdentity, replacedProcesses } from './process-verdict.js';
import { findProcesses, parseUptime, residentBytes } from './processes.js';
import { parseSystemctlShow, showUnit, type UnitState } from './systemctl.js';
import { judgeUnit, unitRestarts } from './unit-verdict.js';

const UNIT_STATE_KEY = 'unit';
const PROCESSES_STATE_KEY = 'process-identities';

export const serviceCheck = defineCheck({
  type: 'service',
  category: 'performance',
  summary: 'A systemd unit is active, or enough processes of a service run; warns on a restart',
  options: ServiceOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    const target = resolveTarget(options);
    if (typeof target === 'string') return unknownOutcome(`invalid options: ${target}`);
    return target.kind === 'unit' ? checkUnit(target, ctx) : checkProcesses(target, ctx);
  },
});

export default serviceCheck;

async function checkUnit(
  target: Extract<ServiceTarget, { kind: 'unit' }>,
  ctx: CheckContext,
): Promise<CheckOutcome> {
  let state: UnitState;
  try {
    state = parseSystemctlShow(await showUnit(target.unit, target.scope, ctx.signal));
  } catch (err) {
    return unknownOutcome(`cannot ask systemd about unit ${target.unit}: ${describeError(err)}`);
  }
  // Keyed by unit: a changed `unit` option must not compare two different units.
  const key = `${UNIT_STATE_KEY}:${target.scope}:${target.unit}`;
  const previous = ctx.state.get(key) as UnitState | undefined;
  ctx.state.set(key, state);
  // systemd stamps units with CLOCK_MONOTONIC, the clock behind process.hrtime on Linux.
  const nowMonotonicUs = Number(process.hrtime.bigint() / 1000n);
  return judgeUnit(target.unit, state, unitRestarts(previous, state), nowMonotonicUs);
}

async function checkProcesses(
  target: Extract<ServiceTarget, { kind: 'process' }>,
  ctx: CheckContext,
): Promise<CheckOutcome> {
  try {
    const processes = await findProcesses(target.matcher, ctx.signal);
    const uptimeSeconds = parseUptime(
      await readFile('/proc/uptime', { encoding: 'utf8', signal: ctx.signal }),
    );
    const identities = processes.map(processIdentity);
    const key = `${PROCESSES_STATE_KEY}:${target.description}`;
    const restarts = replacedProcesses(ctx.state.get(key) as string[] | undefined, identities);
    ctx.state.set(key, identities);
    const memoryBytes = await residentBytes(
      processes.map((p) => p.pid),
      ctx.signal,
    );
    return judgeProcesses({ ...target, processes, restarts, uptimeSeconds, memoryBytes });
  } catch (err) {
    return unknownOutcome(`cannot list the processes in /proc: ${describeError(err)}`);
  }
}
