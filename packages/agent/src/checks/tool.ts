// Running a host tool for a check: to its end, in the C locale, with sbin folders on PATH when asked (nft,
// iptables, sshd live there and an unprivileged agent's PATH often lacks them).
import { execFile } from 'node:child_process';
import { delimiter } from 'node:path';
import { hasErrorCode } from './failure.js';

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
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { signal, maxBuffer: options.maxBuffer, env: toolEnv(options.sbin) },
      (err, stdout, stderr) => {
        if (err === null) return resolve({ code: 0, stdout, stderr });
        if (hasErrorCode(err, 'ENOENT')) return resolve(undefined);
        if (typeof err.code === 'number') return resolve({ code: err.code, stdout, stderr });
        reject(err);
      },
    );
  });
}
