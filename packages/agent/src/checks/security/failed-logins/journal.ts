// Reads sshd's messages from the systemd journal between two instants.
import { execTool, type ToolFailure } from '../../spawn.js';

/** `@<seconds>.<micro>`: journalctl's Unix time syntax, to the microsecond. */
export function journalTime(ms: number): string {
  return `@${(ms / 1000).toFixed(6)}`;
}

export function journalArgs(
  units: readonly string[],
  sinceMs: number | undefined,
  untilMs: number,
): string[] {
  return [
    '--quiet',
    '--no-pager',
    '--output=cat',
    ...units.flatMap((unit) => ['-u', unit]),
    ...(sinceMs === undefined ? [] : ['--since', journalTime(sinceMs)]),
    '--until',
    journalTime(untilMs),
  ];
}

/** The messages (no prefix), one per line. Rejects with ENOENT when journalctl does not exist. */
export function readJournal(
  args: readonly string[],
  signal: AbortSignal,
  command = 'journalctl',
): Promise<string> {
  return execTool(command, args, {
    signal,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, LC_ALL: 'C', SYSTEMD_PAGER: '' },
  }).then(
    ({ stdout }) => stdout,
    (err: unknown) => {
      const stderr = (err as Partial<ToolFailure>).stderr ?? '';
      const reason = stderr.trim().split('\n', 1)[0]?.trim();
      throw reason ? Object.assign(new Error(reason), { code: (err as ToolFailure).code }) : err;
    },
  );
}
