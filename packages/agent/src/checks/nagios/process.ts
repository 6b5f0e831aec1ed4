// Runs a plugin executable without a shell, keeps the first 64 KiB of its output, and kills it on abort.
import type { ChildProcess } from 'node:child_process';
import { describeError } from '../failure.js';
import { killGroup, spawnInGroup } from '../spawn.js';
import type { PluginRun } from './output.js';

export const MAX_STDOUT_BYTES = 64 * 1024;
const MAX_STDERR_BYTES = 4 * 1024;
/** After the plugin exits, how long a grandchild that inherited its stdout may keep the pipe open. */
const PIPE_GRACE_MS = 1000;

/**
 * Why spawn and not execFile: execFile kills the plugin when `maxBuffer` is exceeded, losing its exit code,
 * while a verbose plugin must still be read (truncated) with its real status. The plugin leads its own
 * process group, so an abort kills the shell script and the `sleep` it started alike; killing only the
 * script would leave the child holding the pipe open, and the run would never end.
 */
export function runPlugin(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  signal: AbortSignal,
): Promise<PluginRun> {
  if (signal.aborted) return Promise.resolve({ kind: 'aborted', reason: abortReason(signal) });
  let child: ChildProcess;
  try {
    child = spawnInGroup(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // Arguments that the OS cannot take (a NUL byte) throw here instead of emitting 'error'.
    return Promise.resolve({ kind: 'failed', reason: describeError(err) });
  }
  return watch(child, signal);
}

function watch(child: ChildProcess, signal: AbortSignal): Promise<PluginRun> {
  const stdout = new BoundedOutput(MAX_STDOUT_BYTES);
  const stderr = new BoundedOutput(MAX_STDERR_BYTES);
  child.stdout?.on('data', (chunk: Buffer) => stdout.add(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.add(chunk));
  const kill = () => killGroup(child);
  signal.addEventListener('abort', kill, { once: true });

  return new Promise((resolve) => {
    let grace: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (run: PluginRun) => {
      if (settled) return;
      settled = true;
      clearTimeout(grace);
      signal.removeEventListener('abort', kill);
      resolve(run);
    };
    const ended = (code: number | null, killedBy: NodeJS.Signals | null) => {
      const printed = { stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated };
      if (signal.aborted) settle({ kind: 'aborted', reason: `${abortReason(signal)} (plugin killed)` });
      else if (code !== null) settle({ kind: 'exited', code, ...printed });
      else settle({ kind: 'killed', signal: killedBy ?? 'an unknown signal', ...printed });
    };
    child.on('error', (err) => {
      // Without a pid the plugin never started. With one, the error is a failed kill (see killGroup), and
      // 'exit' or 'close' still tell how the run ended.
      if (child.pid === undefined) settle({ kind: 'failed', reason: spawnFailure(err) });
    });
    child.on('exit', (code, killedBy) => {
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        ended(code, killedBy);
      }, PIPE_GRACE_MS);
    });
    child.on('close', ended);
  });
}

/** `ENOENT` rather than Node's `spawn /x ENOENT`: the command is already in the message. */
function spawnFailure(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ?? describeError(err);
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return 'aborted';
}

/** Keeps the first `limit` bytes and drains the rest, so that the plugin never blocks on a full pipe. */
class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
