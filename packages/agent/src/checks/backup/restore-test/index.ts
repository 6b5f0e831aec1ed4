// The `restore-test` check: restore one file from the newest backup into a fresh temporary folder, check
// it against a known SHA-256 or a live file, and always remove the folder again.
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Metrics, worstStatus } from '@vigie/shared';
import { describeError, hasErrorCode, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { formatBytes, readProblem, sha256File } from '../files.js';
import { type RestoreSource, RestoreTestOptionsSchema } from './options.js';
import { restoredLocation, restoreMember } from './restore.js';

/** Prefix of the temporary restore folders, so that a leftover one is easy to spot. */
export const RESTORE_FOLDER_PREFIX = 'vigie-restore-';

export const restoreTestCheck = defineCheck({
  type: 'restore-test',
  category: 'backup',
  summary: 'Restores one file from the newest backup (tar, restic or borg) and compares its SHA-256',
  options: RestoreTestOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    const { source } = options;
    const relative = restoredLocation(source.member);
    if (relative === undefined) {
      return unknownOutcome(`member ${source.member} does not name a file inside the backup`);
    }
    const parent = options.workDir ?? tmpdir();
    let folder: string;
    try {
      folder = await mkdtemp(join(parent, RESTORE_FOLDER_PREFIX));
    } catch (err) {
      return unknownOutcome(`cannot make a restore folder in ${parent}: ${describeError(err)}`);
    }

    let outcome: CheckOutcome;
    let leftover: string | undefined;
    try {
      outcome = await restoreAndCompare(source, folder, relative, ctx.signal).catch((err: unknown) =>
        unknownOutcome(
          ctx.signal.aborted ? 'restore test timed out' : `restore test failed: ${describeError(err)}`,
        ),
      );
    } finally {
      leftover = await removeFolder(folder);
    }
    if (leftover === undefined) return outcome;
    return {
      ...outcome,
      status: worstStatus(outcome.status, 'warning'),
      message: `${outcome.message} (could not remove ${folder}: ${leftover})`,
    };
  },
});

export default restoreTestCheck;

/** undefined once the folder is gone, else why it could not be removed. */
async function removeFolder(folder: string): Promise<string | undefined> {
  try {
    await rm(folder, { recursive: true, force: true, maxRetries: 2 });
    return undefined;
  } catch (err) {
    return describeError(err);
  }
}

async function restoreAndCompare(
  source: RestoreSource,
  folder: string,
  relative: string,
  signal: AbortSignal,
): Promise<CheckOutcome> {
  const started = performance.now();
  const restored = await restoreMember(source, folder, signal);
  if (!restored.ok) return restored.outcome;
  const restoreSeconds = Math.round(performance.now() - started) / 1000;

  const path = join(folder, relative);
  const what = `${source.member} from ${restored.from}`;
  let sizeBytes: number;
  try {
    const info = await lstat(path);
    if (!info.isFile()) return failed(`restored ${what} is not a regular file`);
    sizeBytes = info.size;
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'ENOTDIR')) {
      return failed(
        `${source.member} is not in ${restored.from}${restored.note ? `: ${restored.note}` : ''}`,
      );
    }
    throw err;
  }
  const metrics: Metrics = { restore_seconds: restoreSeconds, restored_bytes: sizeBytes };
  const done = `restored ${what} (${formatBytes(sizeBytes)} in ${restoreSeconds.toFixed(1)}s)`;

  const actual = await sha256File(path, signal);
  const matched: string[] = [];
  const differed: string[] = [];
  if (source.expectSha256 !== undefined) {
    (actual === source.expectSha256.toLowerCase() ? matched : differed).push('expectSha256');
  }
  if (source.compareWith !== undefined) {
    const problem = await readProblem(source.compareWith);
    if (problem !== undefined) {
      return {
        status: 'unknown',
        metrics,
        message: `${done}, but cannot read ${source.compareWith}: ${problem}`,
      };
    }
    (actual === (await sha256File(source.compareWith, signal)) ? matched : differed).push(source.compareWith);
  }

  if (differed.length > 0) {
    metrics.hash_match = 0;
    return {
      status: 'critical',
      metrics,
      message: `${done}, but its SHA-256 differs from ${differed.join(' and ')}`,
    };
  }
  if (matched.length > 0) {
    metrics.hash_match = 1;
    return { status: 'ok', metrics, message: `${done}, SHA-256 matches ${matched.join(' and ')}` };
  }
  return { status: 'ok', metrics, message: `${done}, not compared (no expectSha256 or compareWith)` };
}

function failed(message: string): CheckOutcome {
  return { status: 'critical', metrics: {}, message };
}
