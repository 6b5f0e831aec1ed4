// The `disk-io` check: per-disk throughput, IOPS and busy time since the previous run, from /proc/diskstats.
import { readdir, readFile } from 'node:fs/promises';
import { describeError, hasErrorCode, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { exchangeSample, ratesByInstance } from '../counters.js';
import { type DiskCounters, parseDiskstats, selectDisks } from './diskstats.js';
import { DISK_IO_DEFAULTS, DiskIoOptionsSchema } from './options.js';
import { diskRates, judgeDisks } from './verdict.js';

export const DISKSTATS_PATH = '/proc/diskstats';
/** Lists whole disks only: a partition is a sub-folder of its disk there. */
export const SYS_BLOCK_PATH = '/sys/block';
const STATE_KEY = 'diskstats';

export const diskIoCheck = defineCheck({
  type: 'disk-io',
  category: 'performance',
  summary: 'Per-disk read/write throughput, IOPS and busy time since the previous run',
  options: DiskIoOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    let exclude: RegExp;
    try {
      exclude = new RegExp(options.excludeDevices ?? DISK_IO_DEFAULTS.excludeDevices);
    } catch (err) {
      return unknownOutcome(`invalid option excludeDevices: ${describeError(err)}`);
    }
    let disks: Record<string, DiskCounters>;
    try {
      const text = await readFile(DISKSTATS_PATH, { encoding: 'utf8', signal: ctx.signal });
      disks = selectDisks(parseDiskstats(text), await wholeDisks(), exclude);
    } catch (err) {
      return unknownOutcome(`cannot read ${DISKSTATS_PATH}: ${describeError(err)}`);
    }
    if (Object.keys(disks).length === 0) return unknownOutcome('no disk left once excludeDevices is applied');

    const current = { atMs: ctx.now().getTime(), values: disks };
    const previous = exchangeSample(ctx.state, STATE_KEY, current);
    return judgeDisks(disks, ratesByInstance(previous, current, diskRates), {
      warning: options.busyWarningPercent ?? DISK_IO_DEFAULTS.busyWarningPercent,
      critical: options.busyCriticalPercent ?? DISK_IO_DEFAULTS.busyCriticalPercent,
    });
  },
});

export default diskIoCheck;

/** The whole disks, or undefined when /sys cannot be read (not mounted in a container...). */
async function wholeDisks(): Promise<Set<string> | undefined> {
  try {
    return new Set(await readdir(SYS_BLOCK_PATH));
  } catch (err) {
    // Not a reason to give up: the disks are still measured, partitions included (see README).
    if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'EACCES') || hasErrorCode(err, 'ENOTDIR')) {
      return undefined;
    }
    throw err;
  }
}
