// The `borg` check: how old is the latest archive of a BorgBackup repository?
import { parseDuration } from '../../../config/duration.js';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { ageVerdict, formatAge, readProblem } from '../files.js';
import { type BorgArchive, latestArchive, parseArchives } from './archives.js';
import { BorgOptionsSchema } from './options.js';
import { runBorg } from './repository.js';

export const borgCheck = defineCheck({
  type: 'borg',
  category: 'backup',
  summary: 'Age of the latest archive of a BorgBackup repository',
  options: BorgOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    let maxAgeMs: number;
    let warningAgeMs: number | undefined;
    try {
      maxAgeMs = parseDuration(options.maxAge);
      warningAgeMs = options.warningAge === undefined ? undefined : parseDuration(options.warningAge);
    } catch (err) {
      return unknownOutcome(`invalid option: ${describeError(err)}`);
    }
    if (options.passwordFile !== undefined) {
      const problem = await readProblem(options.passwordFile);
      if (problem !== undefined) return unknownOutcome(`cannot read the password file: ${problem}`);
    }

    // The whole list, not --last 1: it costs the same (one manifest read) and gives the archive count.
    const args = ['list', '--json'];
    if (options.archiveGlob !== undefined) args.push('--glob-archives', options.archiveGlob);
    const run = await runBorg(options, args, ctx.signal);
    if (!run.ok) {
      if (run.kind === 'missing') return unknownOutcome(run.reason);
      return unknownOutcome(`cannot list the archives of ${options.repository}: ${run.reason}`);
    }
    let archives: BorgArchive[];
    try {
      archives = parseArchives(run.stdout);
    } catch (err) {
      return unknownOutcome(`cannot read the archive list of ${options.repository}: ${describeError(err)}`);
    }
    const latest = latestArchive(archives);
    if (latest === undefined) {
      const which =
        options.archiveGlob === undefined ? 'no archive' : `no archive matching ${options.archiveGlob}`;
      return { status: 'critical', metrics: { archives: 0 }, message: `${which} in ${options.repository}` };
    }

    // An archive dated in the future (clock skew) counts as brand new, not as negative age.
    const ageMs = Math.max(0, ctx.now().getTime() - latest.timeMs);
    const { status, limit } = ageVerdict(ageMs, maxAgeMs, warningAgeMs);
    const count = archives.length;
    return {
      status,
      metrics: { latest_age_seconds: Math.round(ageMs / 1000), archives: count },
      message: `latest archive ${latest.name} of ${options.repository} is ${formatAge(ageMs / 1000)} old${limit} (${count} archive${count === 1 ? '' : 's'})`,
    };
  },
});

export default borgCheck;
