// Real child processes for end-to-end tests: the built CLIs, with their output kept for failure messages.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = resolve(import.meta.dirname, '../..');
export const COLLECTOR_CLI = resolve(ROOT, 'packages/collector/dist/cli.js');
export const AGENT_CLI = resolve(ROOT, 'packages/agent/dist/cli.js');

const run = promisify(execFile);

/** Runs a CLI to completion and returns its stdout; throws with stderr on failure. */
export async function runCli(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [cli, ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${cli} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

export interface Spawned {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL after a bounded wait. */
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export function spawnCli(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { child, output: () => out, stop: () => stopWith('SIGTERM'), kill9: () => stopWith('SIGKILL') };
}
