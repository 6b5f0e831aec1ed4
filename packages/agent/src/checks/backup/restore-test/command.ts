// Runs a restore tool (tar, restic, borg) and settles only once it has exited, also on timeout: the
// restore folder is removed afterwards, and a tool still writing into it would defeat that.
import { killGroup, spawnInGroup } from '../../spawn.js';

export interface ToolExit {
  /** Exit status, or null when a signal ended the tool. */
  code: number | null;
  /** The first bytes of the tool's error output. */
  stderr: string;
}

export interface ToolOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal: AbortSignal;
  /** How long a tool may take to exit after SIGTERM before it gets SIGKILL. */
  killGraceMs?: number;
}

const STDERR_LIMIT = 8192;
/** After the tool exits, how long to wait for its error output to close (a helper it started may hold it). */
const CLOSE_GRACE_MS = 1000;

/**
 * Runs `command args` with stdin closed and stdout discarded, in its own process group so that a timeout
 * stops the helpers it started too (borg's ssh, restic's rclone). Resolves with the exit status; rejects
 * with the spawn error (ENOENT: not installed) or, once the tool has exited, with the abort reason.
 */
export function runToCompletion(
  command: string,
  args: readonly string[],
  options: ToolOptions,
): Promise<ToolExit> {
  const { signal, killGraceMs = 5000 } = options;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const child = spawnInGroup(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let exitCode: number | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    let closeTimer: NodeJS.Timeout | undefined;
    let settled = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('utf8');
    });
    // The whole group, even once the tool itself has exited: a helper it left behind is stopped too.
    const signalGroup = (name: NodeJS.Signals) => killGroup(child, name);
    const onAbort = () => {
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), killGraceMs);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      clearTimeout(closeTimer);
      child.stderr?.destroy();
      outcome();
    };
    const done = () =>
      finish(() => (signal.aborted ? reject(signal.reason) : resolve({ code: exitCode, stderr })));
    child.on('error', (err) => {
      // Only a spawn failure ends here for good: the process never started, no exit will follow.
      if (child.pid === undefined) finish(() => reject(err));
    });
    child.on('exit', (code) => {
      exitCode = code;
      closeTimer = setTimeout(done, CLOSE_GRACE_MS);
    });
    child.on('close', done);
  });
}

/** The first non-empty line of a tool's error output, cut to a message's length. */
export function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '')
    ?.slice(0, 300);
}
