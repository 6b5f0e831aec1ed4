// Restores one file from the newest backup into a given folder: from the newest tar archive matching a
// glob, from the latest restic snapshot, or from the latest borg archive.
import { posix } from 'node:path';
import { describeError, unknownOutcome } from '../../failure.js';
import type { CheckOutcome } from '../../types.js';
import { latestArchive, parseArchives } from '../borg/archives.js';
import { BORG_DEFAULTS } from '../borg/options.js';
import { borgEnvironment, runBorg } from '../borg/repository.js';
import { listBackups, noBackupOutcome, readProblem } from '../files.js';
import { RESTIC_DEFAULTS } from '../restic/options.js';
import { redactCredentials, resticEnvironment, resticReason } from '../restic/repository.js';
import { firstLine, runToCompletion, type ToolExit } from './command.js';
import type { BorgSource, ResticSource, RestoreSource, TarSource } from './options.js';

export type RestoreResult =
  /** The tool finished; `from` names the backup, `note` is what the tool said (why a file may be missing). */
  { ok: true; from: string; note: string | undefined } | { ok: false; outcome: CheckOutcome };

/**
 * Where the member lands under the restore folder, as a relative path, or undefined when it would land
 * outside it (`..`) or names no file at all. Tar and borg drop a leading `/`; restic keeps the full path
 * under its target, which comes to the same.
 */
export function restoredLocation(member: string): string | undefined {
  const relative = posix.normalize(member).replace(/^\/+/, '').replace(/\/+$/, '');
  if (relative === '' || relative === '.' || relative === '..' || relative.startsWith('../'))
    return undefined;
  return relative;
}

/** Restores `source.member` into `folder`. Rejects only on abort; every other failure is an outcome. */
export function restoreMember(
  source: RestoreSource,
  folder: string,
  signal: AbortSignal,
): Promise<RestoreResult> {
  if (source.kind === 'tar') return restoreFromTar(source, folder, signal);
  if (source.kind === 'restic') return restoreFromRestic(source, folder, signal);
  return restoreFromBorg(source, folder, signal);
}

const critical = (message: string): RestoreResult => ({
  ok: false,
  outcome: { status: 'critical', metrics: {}, message },
});
const unknown = (message: string): RestoreResult => ({ ok: false, outcome: unknownOutcome(message) });

/** Runs the tool; a tool that cannot be started is an `unknown` result, an abort is rethrown. */
async function runTool(
  tool: string,
  binary: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; signal: AbortSignal },
): Promise<ToolExit | RestoreResult> {
  try {
    return await runToCompletion(binary, args, options);
  } catch (err) {
    if (options.signal.aborted) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return unknown(`${tool} is not installed (${binary} not found)`);
    return unknown(`cannot run ${binary}: ${describeError(err)}`);
  }
}

const isExit = (value: ToolExit | RestoreResult): value is ToolExit => 'stderr' in value;

async function restoreFromTar(
  source: TarSource,
  folder: string,
  signal: AbortSignal,
): Promise<RestoreResult> {
  let archives: Awaited<ReturnType<typeof listBackups>>;
  try {
    archives = await listBackups(source.path, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    return unknown(`cannot list ${source.path}: ${describeError(err)}`);
  }
  const archive = archives.find((file) => !file.path.endsWith('.sha256'));
  if (archive === undefined) return { ok: false, outcome: await noBackupOutcome(source.path, {}) };
  const problem = await readProblem(archive.path);
  if (problem !== undefined) return unknown(`cannot read ${archive.path}: ${problem}`);

  // GNU tar recognises the compression itself when reading a file; `--` keeps a member named `-x` a name.
  const exit = await runTool('tar', 'tar', ['-xf', archive.path, '-C', folder, '--', source.member], {
    env: { ...process.env, LC_ALL: 'C' },
    signal,
  });
  if (!isExit(exit)) return exit;
  const note = firstLine(exit.stderr);
  if (exit.code !== 0) {
    return critical(
      `cannot restore ${source.member} from ${archive.path}: ${note ?? `tar exit status ${exit.code}`}`,
    );
  }
  return { ok: true, from: archive.path, note };
}

async function restoreFromRestic(
  source: ResticSource,
  folder: string,
  signal: AbortSignal,
): Promise<RestoreResult> {
  const problem = await readProblem(source.passwordFile);
  if (problem !== undefined) return unknown(`cannot read the password file: ${problem}`);
  const binary = source.binary ?? RESTIC_DEFAULTS.binary;
  const repository = redactCredentials(source.repository);
  // --no-lock: a restore killed by the timeout must not leave a lock behind that blocks the next prune.
  const args = ['restore', 'latest', '--no-lock', '--target', folder, '--include', source.member];
  if (source.host !== undefined) args.push('--host', source.host);
  const exit = await runTool('restic', binary, args, { env: resticEnvironment(source), signal });
  if (!isExit(exit)) return exit;
  const from = `the latest snapshot${source.host === undefined ? '' : ` of host ${source.host}`} in ${repository}`;
  const note = resticReason(exit.stderr);
  if (exit.code !== 0)
    return critical(
      `cannot restore ${source.member} from ${from}: ${note ?? `restic exit status ${exit.code}`}`,
    );
  return { ok: true, from, note };
}

async function restoreFromBorg(
  source: BorgSource,
  folder: string,
  signal: AbortSignal,
): Promise<RestoreResult> {
  if (source.passwordFile !== undefined) {
    const problem = await readProblem(source.passwordFile);
    if (problem !== undefined) return unknown(`cannot read the password file: ${problem}`);
  }
  const binary = source.binary ?? BORG_DEFAULTS.binary;
  const listArgs = ['list', '--json'];
  if (source.archiveGlob !== undefined) listArgs.push('--glob-archives', source.archiveGlob);
  const listed = await runBorg(source, listArgs, signal);
  if (!listed.ok) {
    if (listed.kind === 'aborted') signal.throwIfAborted();
    if (listed.kind === 'missing') return unknown(listed.reason);
    return critical(`cannot list the archives of ${source.repository}: ${listed.reason}`);
  }
  let latest: ReturnType<typeof latestArchive>;
  try {
    latest = latestArchive(parseArchives(listed.stdout));
  } catch (err) {
    return unknown(`cannot read the archive list of ${source.repository}: ${describeError(err)}`);
  }
  if (latest === undefined) return critical(`no archive to restore from in ${source.repository}`);

  const member = source.member.replace(/^\/+/, '');
  const exit = await runTool('borg', binary, ['extract', `::${latest.name}`, member], {
    env: borgEnvironment(source),
    cwd: folder,
    signal,
  });
  if (!isExit(exit)) return exit;
  const from = `archive ${latest.name} of ${source.repository}`;
  const note = firstLine(exit.stderr);
  // Exit status 1 is borg's "done, with warnings", e.g. a path that never matched: the file check tells.
  if (exit.code !== 0 && exit.code !== 1) {
    return critical(
      `cannot restore ${source.member} from ${from}: ${note ?? `borg exit status ${exit.code}`}`,
    );
  }
  return { ok: true, from, note };
}
