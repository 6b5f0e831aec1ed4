// The `filesystem` check: space and inode usage of every real mount, worst mount decides the status.
import { readFile, statfs } from 'node:fs/promises';
import type { Metrics } from '@vigie/shared';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { type MountEntry, parseMountinfo, selectMounts } from './mountinfo.js';
import {
  FilesystemOptionsSchema,
  type ResolvedFilesystemOptions,
  resolveFilesystemOptions,
} from './options.js';
import { isWorse, judgeUsage, type MountUsage, type UsageVerdict, usageFromStatfs } from './usage.js';

export const MOUNTINFO_PATH = '/proc/self/mountinfo';

export const filesystemCheck = defineCheck({
  type: 'filesystem',
  category: 'performance',
  summary: 'Space and inode usage of each real mounted filesystem',
  options: FilesystemOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    const resolved = resolveFilesystemOptions(options);
    let entries: MountEntry[];
    try {
      entries = parseMountinfo(await readFile(MOUNTINFO_PATH, { encoding: 'utf8', signal: ctx.signal }));
    } catch (err) {
      return unknownOutcome(`cannot read the mount table ${MOUNTINFO_PATH}: ${describeError(err)}`);
    }
    const { selected, missing } = selectMounts(entries, resolved);
    if (selected.length === 0 && missing.length === 0) return unknownOutcome(noMountReason(resolved));

    const measured = await Promise.all(selected.map((entry) => measure(entry.mountPoint, ctx.signal)));
    return summarise(measured, missing, resolved);
  },
});

export default filesystemCheck;

type Measurement = { mount: string; usage: MountUsage } | { mount: string; error: string };

async function measure(mount: string, signal: AbortSignal): Promise<Measurement> {
  try {
    return { mount, usage: usageFromStatfs(await untilAborted(statfs(mount), signal)) };
  } catch (err) {
    return { mount, error: describeError(err) };
  }
}

/** statfs cannot be aborted: a hung network mount would hold the check past its timeout, so stop waiting. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function summarise(
  measured: readonly Measurement[],
  missing: readonly string[],
  options: ResolvedFilesystemOptions,
): CheckOutcome {
  const metrics: Metrics = {};
  const verdicts: UsageVerdict[] = missing.map((mount) => ({
    status: 'unknown',
    message: `${mount} is not mounted`,
    percent: 0,
  }));
  for (const m of measured) {
    if ('error' in m) {
      verdicts.push({ status: 'unknown', message: `${m.mount}: statfs failed: ${m.error}`, percent: 0 });
      continue;
    }
    metrics[`used_percent@${m.mount}`] = m.usage.usedPercent;
    metrics[`used_bytes@${m.mount}`] = m.usage.usedBytes;
    metrics[`size_bytes@${m.mount}`] = m.usage.sizeBytes;
    metrics[`free_bytes@${m.mount}`] = m.usage.freeBytes;
    if (m.usage.inodesUsedPercent !== undefined) {
      metrics[`inodes_used_percent@${m.mount}`] = m.usage.inodesUsedPercent;
    }
    verdicts.push(judgeUsage(m.mount, m.usage, options));
  }
  const worst = verdicts.reduce((a, b) => (isWorse(b, a) ? b : a));
  const others = verdicts.filter((v) => v !== worst && v.status !== 'ok').length;
  let message = worst.message;
  if (worst.status === 'ok') message = `${verdicts.length} mount(s) ok, fullest ${worst.message}`;
  else if (others > 0) message += ` (+${others} more mount(s) not ok)`;
  return { status: worst.status, metrics, message };
}

function noMountReason(options: ResolvedFilesystemOptions): string {
  if (options.mounts !== undefined && options.mounts.length === 0) {
    return 'no mount to check: `mounts` is empty';
  }
  return 'no real filesystem is mounted once excludeMounts and excludeFsTypes are applied';
}
