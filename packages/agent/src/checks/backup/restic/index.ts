// The `restic` check: how old is the latest snapshot of a restic repository?
import type { Metrics } from '@vigie/shared';
import { parseDuration } from '../../../config/duration.js';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { ageVerdict, formatAge, readProblem } from '../files.js';
import { type ResticOptions, ResticOptionsSchema } from './options.js';
import { redactCredentials, runRestic } from './repository.js';
import { latestSnapshot, parseSnapshots, type ResticSnapshot } from './snapshots.js';

export const resticCheck = defineCheck({
  type: 'restic',
  category: 'backup',
  summary: 'Age of the latest snapshot of a restic repository',
  options: ResticOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    let maxAgeMs: number;
    let warningAgeMs: number | undefined;
    try {
      maxAgeMs = parseDuration(options.maxAge);
      warningAgeMs = options.warningAge === undefined ? undefined : parseDuration(options.warningAge);
    } catch (err) {
      return unknownOutcome(`invalid option: ${describeError(err)}`);
    }
    const problem = await readProblem(options.passwordFile);
    if (problem !== undefined) return unknownOutcome(`cannot read the password file: ${problem}`);

    const repository = redactCredentials(options.repository);
    // --no-lock: listing needs no lock, and must neither wait for a running backup nor leave a stale lock.
    const args = ['snapshots', '--json', '--no-lock'];
    if (options.host !== undefined) args.push('--host', options.host);
    if (options.tag !== undefined) args.push('--tag', options.tag);
    const run = await runRestic(options, args, ctx.signal);
    if (!run.ok) {
      if (run.kind === 'missing') return unknownOutcome(run.reason);
      return unknownOutcome(`cannot list the snapshots of ${repository}: ${run.reason}`);
    }
    let snapshots: ResticSnapshot[];
    try {
      snapshots = parseSnapshots(run.stdout);
    } catch (err) {
      return unknownOutcome(`cannot read the snapshot list of ${repository}: ${describeError(err)}`);
    }
    const latest = latestSnapshot(snapshots);
    if (latest === undefined) {
      return {
        status: 'critical',
        metrics: { snapshots: 0 },
        message: noSnapshotMessage(repository, options),
      };
    }
    return judgeLatest(latest, snapshots.length, repository, ctx.now().getTime(), maxAgeMs, warningAgeMs);
  },
});

export default resticCheck;

function noSnapshotMessage(repository: string, options: ResticOptions): string {
  const filters = [
    options.host === undefined ? undefined : `host ${options.host}`,
    options.tag === undefined ? undefined : `tag ${options.tag}`,
  ].filter((f) => f !== undefined);
  return filters.length === 0
    ? `no snapshot in ${repository}`
    : `no snapshot for ${filters.join(', ')} in ${repository}`;
}

function judgeLatest(
  latest: ResticSnapshot,
  count: number,
  repository: string,
  nowMs: number,
  maxAgeMs: number,
  warningAgeMs: number | undefined,
): CheckOutcome {
  // A snapshot dated in the future (clock skew between hosts) counts as brand new, not as negative age.
  const ageMs = Math.max(0, nowMs - latest.timeMs);
  const { status, limit } = ageVerdict(ageMs, maxAgeMs, warningAgeMs);
  const metrics: Metrics = { latest_age_seconds: Math.round(ageMs / 1000), snapshots: count };
  if (latest.files !== undefined) metrics.latest_files = latest.files;
  if (latest.bytes !== undefined) metrics.latest_bytes = latest.bytes;
  return {
    status,
    metrics,
    message: `latest snapshot ${latest.shortId} of ${repository} is ${formatAge(ageMs / 1000)} old${limit} (${count} snapshot${count === 1 ? '' : 's'})`,
  };
}
