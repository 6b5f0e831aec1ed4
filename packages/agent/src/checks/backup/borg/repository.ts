// Runs borg against one repository. The repository goes through BORG_REPO and the passphrase through
// BORG_PASSCOMMAND (`cat` of the password file), so neither shows on a command line and the agent never
// reads the passphrase; borg is told never to stop and ask a question nobody would answer.

import { describeError } from '../../failure.js';
import { execTool } from '../../spawn.js';
import { BORG_DEFAULTS } from './options.js';

export interface BorgRepository {
  repository: string;
  passwordFile?: string | undefined;
  binary?: string | undefined;
}

export type BorgRun =
  /** `warning` is borg's first message line when it exited with status 1 (done, with warnings). */
  | { ok: true; stdout: string; warning: string | undefined }
  /** missing: borg cannot be run; failed: borg ran and failed; aborted: the check's timeout fired. */
  | { ok: false; kind: 'missing' | 'failed' | 'aborted'; reason: string };

/** A word for borg's shlex-style split of BORG_PASSCOMMAND: single-quoted, quotes escaped POSIX-style. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The child's environment: the agent's own with the repository set, the passphrase taken from
 * `passwordFile` when given (other passphrase variables removed, borg reads BORG_PASSPHRASE first), and
 * an empty passphrase when no passphrase source exists at all, so that an encrypted repository fails at
 * once instead of waiting for someone to type. Borg's yes/no questions about unencrypted or moved
 * repositories are answered yes: the agent only reads.
 */
export function borgEnvironment(
  repo: BorgRepository,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    BORG_REPO: repo.repository,
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
  };
  if (repo.passwordFile !== undefined) {
    delete env.BORG_PASSPHRASE;
    delete env.BORG_PASSPHRASE_FD;
    env.BORG_PASSCOMMAND = `cat -- ${shellQuote(repo.passwordFile)}`;
  } else if (
    env.BORG_PASSPHRASE === undefined &&
    env.BORG_PASSCOMMAND === undefined &&
    env.BORG_PASSPHRASE_FD === undefined
  ) {
    env.BORG_PASSPHRASE = '';
  }
  return env;
}

/** The first line of borg's error output: borg states the problem there (`Repository ... does not exist.`). */
export function borgReason(stderr: string): string | undefined {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  return line?.slice(0, 300);
}

/** Runs `borg <args>` with stdin closed; exit status 1 (warnings) still counts as done. */
export async function runBorg(
  repo: BorgRepository,
  args: readonly string[],
  signal: AbortSignal,
  maxBuffer = 32 * 1024 * 1024,
): Promise<BorgRun> {
  const binary = repo.binary ?? BORG_DEFAULTS.binary;
  try {
    // stdin closed: the tool must never wait for a password on it.
    const { stdout } = await execTool(binary, args, { signal, maxBuffer, env: borgEnvironment(repo) });
    return { ok: true, stdout, warning: undefined };
  } catch (err) {
    if (signal.aborted) return { ok: false, kind: 'aborted', reason: 'timed out' };
    const failure = err as { code?: unknown; stdout?: unknown; stderr?: unknown };
    if (failure.code === 'ENOENT') {
      return { ok: false, kind: 'missing', reason: `borg is not installed (${binary} not found)` };
    }
    if (failure.code === 'EACCES')
      return { ok: false, kind: 'missing', reason: `cannot run ${binary}: EACCES` };
    const reason = typeof failure.stderr === 'string' ? borgReason(failure.stderr) : undefined;
    if (failure.code === 1 && typeof failure.stdout === 'string') {
      return { ok: true, stdout: failure.stdout, warning: reason };
    }
    return { ok: false, kind: 'failed', reason: reason ?? describeError(err) };
  }
}
