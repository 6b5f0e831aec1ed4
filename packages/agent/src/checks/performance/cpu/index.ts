// The `cpu` check: load averages per core and CPU utilisation (with iowait and steal) since the previous run.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckContext, type CheckOutcome, defineCheck } from '../../types.js';
import { counterDeltas } from '../counters.js';
import { CpuOptionsSchema } from './options.js';
import {
  type CpuTimes,
  type CpuUsage,
  cpuUsage,
  type ProcStat,
  parseLoadavg,
  parseProcStat,
} from './procstat.js';
import { judgeCpu } from './verdict.js';

export const PROC_STAT_PATH = '/proc/stat';
export const LOADAVG_PATH = '/proc/loadavg';
/** On the first run there is no previous reading: measure over this short window instead. */
export const FIRST_SAMPLE_MS = 200;
const STATE_KEY = 'cpu-times';

export const cpuCheck = defineCheck({
  type: 'cpu',
  category: 'performance',
  summary: 'Load average per core and CPU utilisation, iowait and steal since the previous run',
  options: CpuOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    try {
      const load = parseLoadavg(await readFile(LOADAVG_PATH, { encoding: 'utf8', signal: ctx.signal }));
      const { stat, usage } = await usageSincePreviousRun(ctx);
      return judgeCpu({ cores: stat.cores, load, usage }, options);
    } catch (err) {
      return unknownOutcome(`cannot read ${LOADAVG_PATH} and ${PROC_STAT_PATH}: ${describeError(err)}`);
    }
  },
});

export default cpuCheck;

async function readProcStat(signal: AbortSignal): Promise<ProcStat> {
  return parseProcStat(await readFile(PROC_STAT_PATH, { encoding: 'utf8', signal }));
}

async function usageSincePreviousRun(
  ctx: CheckContext,
): Promise<{ stat: ProcStat; usage: CpuUsage | undefined }> {
  // Only this check writes the key: what it reads back is the CpuTimes it stored.
  let previous = ctx.state.get(STATE_KEY) as CpuTimes | undefined;
  let stat = await readProcStat(ctx.signal);
  if (previous === undefined) {
    previous = stat.times;
    await sleep(FIRST_SAMPLE_MS, undefined, { signal: ctx.signal });
    stat = await readProcStat(ctx.signal);
  }
  ctx.state.set(STATE_KEY, stat.times);
  const deltas = counterDeltas(previous, stat.times);
  return { stat, usage: deltas === undefined ? undefined : cpuUsage(deltas) };
}
