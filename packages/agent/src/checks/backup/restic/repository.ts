// Runs restic against one repository. The repository and the password file go through the environment
// (RESTIC_REPOSITORY, RESTIC_PASSWORD_FILE), never the command line that `ps` shows; the agent never reads
// the password itself, and restic's messages are stripped of URL credentials before they are reported.

import { describeError } from '../../failure.js';
import { execTool } from '../../spawn.js';
import { RESTIC_DEFAULTS } from './options.js';

export interface ResticRepository {
  repository: string;
  passwordFile: string;
  binary?: string | undefined;
}

/** What running restic gave: its output, or why there is none. */
export type ResticRun =
  | { ok: true; stdout: string }
  /** missing: restic cannot be run; failed: restic ran and failed; aborted: the check's timeout fired. */
  | { ok: false; kind: 'missing' | 'failed' | 'aborted'; reason: string };

/**
 * The child's environment: the agent's own, with the repository and password file set, and the
 * variables restic refuses to combine with them (a password command, a repository file) removed.
 */
export function resticEnvironment(
  repo: ResticRepository,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    RESTIC_REPOSITORY: repo.repository,
    RESTIC_PASSWORD_FILE: repo.passwordFile,
  };
  delete env.RESTIC_PASSWORD;
  delete env.RESTIC_PASSWORD_COMMAND;
  delete env.RESTIC_REPOSITORY_FILE;
  env.LC_ALL = 'C';
  return env;
}

/** `rest:https://bob:s3cret@host/` -> `rest:https://bob:***@host/`: the repository as it may be shown. */
export function redactCredentials(text: string): string {
  return text.replace(/(\/\/[^/:@\s]+):[^/@\s]+@/g, '$1:***@');
}

/** The line of restic's error output that says what went wrong: its `Fatal:` line, else the first one. */
export function resticReason(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const line = lines.find((l) => l.startsWith('Fatal:')) ?? lines[0];
  return line === undefined ? undefined : redactCredentials(line).slice(0, 300);
}

/** Runs `restic <args>` with stdin closed (restic would otherwise wait for a password on it). */
export async function runRestic(
  repo: ResticRepository,
  args: readonly string[],
  signal: AbortSignal,
  maxBuffer = 32 * 1024 * 1024,
): Promise<ResticRun> {
  const binary = repo.binary ?? RESTIC_DEFAULTS.binary;
  try {
    // stdin closed: the tool must never wait for a password on it.
    const { stdout } = await execTool(binary, args, { signal, maxBuffer, env: resticEnvironment(repo) });
    return { ok: true, stdout };
  } catch (err) {
    return describeRunFailure(binary, err, signal);
  }
}

export function describeRunFailure(
  binary: string,
  err: unknown,
  signal: AbortSignal,
): ResticRun & { ok: false } {
  if (signal.aborted) return { ok: false, kind: 'aborted', reason: 'timed out' };
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return { ok: false, kind: 'missing', reason: `restic is not installed (${binary} not found)` };
  if (code === 'EACCES') return { ok: false, kind: 'missing', reason: `cannot run ${binary}: EACCES` };
  const stderr = (err as { stderr?: unknown }).stderr;
  const reason =
    (typeof stderr === 'string' ? resticReason(stderr) : undefined) ?? redactCredentials(describeError(err));
  return { ok: false, kind: 'failed', reason };
}
