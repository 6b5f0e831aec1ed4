// Reads an archive through with the system's own tools: `gzip -t` for anything gzipped (it checks the
// CRC at the very end, which `tar -tz` may never reach: tar stops at its end-of-archive blocks), then
// `tar -t` for tar archives, counting the entries as they stream by so a huge listing is never held.
import { killGroup, spawnInGroup } from '../../spawn.js';

export type ArchiveKind = 'tar' | 'tar.gz' | 'gzip';

/** The archive kind a file name announces, or undefined when it is none this check can read. */
export function archiveKind(path: string): ArchiveKind | undefined {
  const name = path.toLowerCase();
  if (name.endsWith('.tar.gz') || name.endsWith('.tgz')) return 'tar.gz';
  if (name.endsWith('.tar')) return 'tar';
  if (name.endsWith('.gz')) return 'gzip';
  return undefined;
}

interface Command {
  command: string;
  args: string[];
}

/** The commands that read an archive of this kind through without writing anything, in order. */
export function verifyCommands(kind: ArchiveKind, path: string): Command[] {
  const gzipTest = { command: 'gzip', args: ['-t', '--', path] };
  if (kind === 'gzip') return [gzipTest];
  if (kind === 'tar.gz') return [gzipTest, { command: 'tar', args: ['-tzf', path] }];
  return [{ command: 'tar', args: ['-tf', path] }];
}

export type ArchiveVerdict =
  | { state: 'ok'; entries: number | undefined }
  /** The tool read the archive and found it damaged; `reason` is its first message line. */
  | { state: 'broken'; reason: string }
  /** The tool could not be run (not installed, not executable). */
  | { state: 'no-tool'; reason: string };

const STDERR_LIMIT = 4096;

/**
 * Runs the verifications in turn, stopping at the first that fails. Rejects only when `signal` aborts
 * them; every other outcome is an ArchiveVerdict, with the tar entry count when tar listed the archive.
 */
export async function verifyArchive(
  kind: ArchiveKind,
  path: string,
  signal: AbortSignal,
): Promise<ArchiveVerdict> {
  let verdict: ArchiveVerdict = { state: 'ok', entries: undefined };
  for (const { command, args } of verifyCommands(kind, path)) {
    verdict = await runVerification(command, args, signal);
    if (verdict.state !== 'ok') return verdict;
  }
  return verdict;
}

/** Runs one tool and waits for it to exit; `entries` counts the lines it printed (tar's listing). */
function runVerification(command: string, args: string[], signal: AbortSignal): Promise<ArchiveVerdict> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    // Its own process group: a timeout kills gzip and whatever it piped to, not only the first process.
    const child = spawnInGroup(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    const onAbort = () => killGroup(child);
    signal.addEventListener('abort', onAbort, { once: true });
    let failure: Error | undefined;
    let newlines = 0;
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0a) newlines += 1;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('utf8');
    });
    child.on('error', (err) => {
      failure = err;
      // A spawn failure (ENOENT, EACCES) never starts the process: there is no close to wait for.
      if (child.pid === undefined) resolve({ state: 'no-tool', reason: `${command}: ${describeSpawn(err)}` });
    });
    child.on('close', (code, killedBy) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return reject(signal.reason);
      if (failure !== undefined && child.pid === undefined) return;
      if (code === 0) return resolve({ state: 'ok', entries: command === 'tar' ? newlines : undefined });
      const reason = firstLine(stderr) ?? (killedBy ? `killed by ${killedBy}` : `exit status ${code}`);
      resolve({ state: 'broken', reason });
    });
  });
}

/** The first non-empty line of a tool's error output (gzip starts its own with a blank line). */
export function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
}

function describeSpawn(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'not installed' : (code ?? err.message);
}
