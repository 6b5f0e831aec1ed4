// Running a host tool for a check: to its end, in the C locale, with sbin folders on PATH when asked (nft,
// iptables, sshd live there and an unprivileged agent's PATH often lacks them).
import { delimiter } from 'node:path';
import { hasErrorCode } from './failure.js';
import { execTool, type ToolFailure } from './spawn.js';

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export interface ToolExit {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment for a tool: C locale, and PATH extended with the sbin folders when `sbin` is set. */
export function toolEnv(sbin = false, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', ...extra };
  if (sbin) {
    env.PATH = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...SBIN].join(
      delimiter,
    );
  }
  return env;
}

/**
 * Runs a tool to its end. Resolves with its exit code and output (a non-zero exit is an answer, not an error),
 * or undefined when the program does not exist. Rejects on abort, spawn errors or output over `maxBuffer`.
 */
export function runTool(
  command: string,
  args: readonly string[],
  signal: AbortSignal,
  options: { maxBuffer: number; sbin?: boolean },
): Promise<ToolExit | undefined> {
  return execTool(command, args, { signal, maxBuffer: options.maxBuffer, env: toolEnv(options.sbin) }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: unknown) => {
      if (hasErrorCode(err, 'ENOENT')) return undefined;
      const failure = err as ToolFailure;
      if (typeof failure.code === 'number')
        return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
      throw err;
    },
  );
}
