// The `failed-logins` check: failed SSH/PAM logins since the previous run, from the auth log or the journal.
import { stat } from 'node:fs/promises';
import { describeError, hasErrorCode, unknownOutcome } from '../../failure.js';
import { type CheckContext, type CheckOutcome, defineCheck, thresholdStatus } from '../../types.js';
import { journalArgs, readJournal } from './journal.js';
import { countFailures, emptyCount, type FailureCount } from './lines.js';
import { type FilePosition, readAppended, startPosition } from './logfile.js';
import { FAILED_LOGINS_DEFAULTS, type FailedLoginsOptions, FailedLoginsOptionsSchema } from './options.js';

const JOURNAL_STATE = 'journal:until';

export const failedLoginsCheck = defineCheck({
  type: 'failed-logins',
  category: 'security',
  summary: 'Failed SSH/PAM login attempts since the previous run (auth log or journal)',
  options: FailedLoginsOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    const source = options.source ?? FAILED_LOGINS_DEFAULTS.source;
    const logFiles = options.logFiles ?? FAILED_LOGINS_DEFAULTS.logFiles;
    let present: string[];
    try {
      present = await existing(logFiles);
    } catch (err) {
      return unknownOutcome(`cannot look at the log files: ${describeError(err)}`);
    }
    if (source === 'file' || (source === 'auto' && present.length > 0)) {
      if (present.length === 0) return unknownOutcome(`no log file found (${logFiles.join(', ')})`);
      return fromFiles(present, options, ctx);
    }
    return fromJournal(options, ctx);
  },
});

export default failedLoginsCheck;

async function existing(paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths) {
    try {
      await stat(path);
      found.push(path);
    } catch (err) {
      if (!hasErrorCode(err, 'ENOENT')) throw err;
    }
  }
  return found;
}

async function fromFiles(
  paths: readonly string[],
  options: FailedLoginsOptions,
  ctx: CheckContext,
): Promise<CheckOutcome> {
  const count = emptyCount();
  const baselines: string[] = [];
  const notes: string[] = [];
  for (const path of paths) {
    const key = `file:${path}`;
    const previous = ctx.state.get(key) as FilePosition | undefined;
    try {
      if (previous === undefined) {
        const countExisting = options.countExisting ?? FAILED_LOGINS_DEFAULTS.countExisting;
        if (!countExisting) {
          ctx.state.set(key, await startPosition(path, false));
          baselines.push(path);
          continue;
        }
      }
      const read = await readAppended(path, previous ?? (await startPosition(path, true)), ctx.signal);
      countFailures(read.text, count);
      ctx.state.set(key, read.position);
      if (read.rotated) notes.push(`${path} rotated`);
      if (read.skipped > 0) notes.push(`${read.skipped} bytes of ${path} skipped`);
    } catch (err) {
      return unknownOutcome(`cannot read ${path}: ${describeError(err)}`);
    }
  }
  if (baselines.length === paths.length) {
    return {
      status: 'ok',
      metrics: { failed_logins: 0, sources: 0 },
      message: `baseline taken: counting failed logins from now on in ${paths.join(', ')}`,
    };
  }
  return verdict(count, paths.join(', '), notes, options);
}

async function fromJournal(options: FailedLoginsOptions, ctx: CheckContext): Promise<CheckOutcome> {
  const untilMs = ctx.now().getTime();
  const previous = ctx.state.get(JOURNAL_STATE) as number | undefined;
  const countExisting = options.countExisting ?? FAILED_LOGINS_DEFAULTS.countExisting;
  if (previous === undefined && !countExisting) {
    ctx.state.set(JOURNAL_STATE, untilMs);
    return {
      status: 'ok',
      metrics: { failed_logins: 0, sources: 0 },
      message: 'baseline taken: counting failed logins from now on in the journal',
    };
  }
  const units = options.journalUnits ?? FAILED_LOGINS_DEFAULTS.journalUnits;
  let text: string;
  try {
    text = await readJournal(journalArgs(units, previous, untilMs), ctx.signal);
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return unknownOutcome('no log file found and no journalctl');
    return unknownOutcome(`cannot read the journal: ${describeError(err)}`);
  }
  ctx.state.set(JOURNAL_STATE, untilMs);
  return verdict(countFailures(text), `journal of ${units.join(', ')}`, [], options);
}

function verdict(
  count: FailureCount,
  where: string,
  notes: readonly string[],
  options: FailedLoginsOptions,
): CheckOutcome {
  const warning = options.warning ?? FAILED_LOGINS_DEFAULTS.warning;
  const critical = options.critical ?? FAILED_LOGINS_DEFAULTS.critical;
  const status = thresholdStatus(count.failures, warning, critical);
  const limit = status === 'ok' ? '' : ` (${status} >= ${status === 'critical' ? critical : warning})`;
  const from = count.sources.size > 0 ? ` from ${count.sources.size} source(s)` : '';
  const extra = notes.length > 0 ? `; ${notes.join(', ')}` : '';
  return {
    status,
    metrics: { failed_logins: count.failures, sources: count.sources.size },
    message: `${count.failures} failed login line(s) since the previous run${from} in ${where}${limit}${extra}`,
  };
}
