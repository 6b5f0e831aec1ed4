// Every host tool a check runs is started here, as the leader of its own process group, so that a timeout
// kills the tool and everything it started (a shell script's `sleep`, borg's ssh, a plugin's children): killing
// only the direct child would leave a grandchild running, holding the output pipe open, after the check ended.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

/** After the tool exits, how long a descendant that inherited its output may keep the pipes open. */
const PIPE_GRACE_MS = 1000;

/** Starts `command` (no shell) as the leader of a new process group. */
export function spawnInGroup(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(command, [...args], { ...options, detached: true });
}

/** Signals the whole process group of a child started by spawnInGroup; a group already gone is fine. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch (err) {
    // ESRCH: the group is gone already. Anything else: at least signal the tool itself.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') child.kill(signal);
  }
}

export interface ExecToolOptions {
  signal: AbortSignal;
  /** Output kept per stream; past it the group is killed and the run fails (as execFile's maxBuffer). */
  maxBuffer: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A timeout of the tool's own, shorter than the check's (as execFile's `timeout`). */
  timeoutMs?: number;
}

/** How a run that did not exit 0 failed, shaped like execFile's errors so callers read `code` as they did. */
export interface ToolFailure extends Error {
  /** The exit status, or an errno (ENOENT: not installed), or ABORT_ERR, or the maxBuffer code. */
  code?: number | string;
  signal?: NodeJS.Signals | null;
  killed?: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool to its end with stdin closed, like a promisified execFile: resolves with its output on exit 0,
 * rejects with a ToolFailure otherwise. On abort, timeout or too much output, its whole group is killed.
 */
export function execTool(
  command: string,
  args: readonly string[],
  options: ExecToolOptions,
): Promise<{ stdout: string; stderr: string }> {
  const { signal } = options;
  return new Promise((resolve, reject) => {
    const fail = (message: string, extra: Partial<ToolFailure>, out = { stdout: '', stderr: '' }) =>
      reject(Object.assign(new Error(message), out, extra) as ToolFailure);
    if (signal.aborted) {
      return fail('The operation was aborted', {
        name: 'AbortError',
        code: 'ABORT_ERR',
        cause: signal.reason,
      });
    }
    let child: ChildProcess;
    try {
      child = spawnInGroup(command, args, {
        env: options.env ?? process.env,
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      // Arguments the OS cannot take (a NUL byte) throw here rather than emitting 'error'.
      return reject(err);
    }
    const out: Buffer[] = [];
    const errs: Buffer[] = [];
    const size = { out: 0, err: 0 };
    let why: 'abort' | 'timeout' | 'maxBuffer' | undefined;
    const stop = (reason: typeof why) => {
      why ??= reason;
      killGroup(child);
    };
    const take = (chunks: Buffer[], key: 'out' | 'err') => (chunk: Buffer) => {
      size[key] += chunk.length;
      if (size[key] > options.maxBuffer) return stop('maxBuffer');
      chunks.push(chunk);
    };
    child.stdout?.on('data', take(out, 'out'));
    child.stderr?.on('data', take(errs, 'err'));
    const onAbort = () => stop('abort');
    signal.addEventListener('abort', onAbort, { once: true });
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), options.timeoutMs);
    let grace: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (code: number | null, killedBy: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      signal.removeEventListener('abort', onAbort);
      const printed = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(errs).toString('utf8'),
      };
      if (why === 'abort') {
        return fail(
          'The operation was aborted',
          { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason },
          printed,
        );
      }
      if (why === 'maxBuffer') {
        return fail(
          `${command}: output over ${options.maxBuffer} bytes`,
          { code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' },
          printed,
        );
      }
      if (code === 0 && why === undefined) return resolve(printed);
      const status =
        why === 'timeout'
          ? `timed out after ${options.timeoutMs} ms`
          : code !== null
            ? `exit status ${code}`
            : `killed by ${killedBy}`;
      fail(
        `Command failed: ${command} ${args.join(' ')}: ${status}`.slice(0, 500),
        { code: code ?? undefined, signal: killedBy, killed: why === 'timeout' },
        printed,
      );
    };
    child.on('error', (err) => {
      // Without a pid the tool never started (ENOENT, EACCES): no exit will follow.
      if (child.pid === undefined && !settled) {
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(err);
      }
    });
    child.on('exit', (code, killedBy) => {
      // A descendant left behind may hold the pipes: it is killed with the group, and the run ends anyway.
      killGroup(child);
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, killedBy);
      }, PIPE_GRACE_MS);
    });
    child.on('close', finish);
  });
}
