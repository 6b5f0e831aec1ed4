// Asks the runtimes, servers and browsers present on the host for their version, one short child process each.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { glob } from 'tinyglobby';
import { execTool } from '../../spawn.js';
import { DEFAULT_SECRET_KEYS } from './options.js';
import { secretKeyMatcher } from './secrets.js';
import {
  parseApacheVersion,
  parseChromeVersion,
  parseChromiumVersion,
  parseFirefoxVersion,
  parseJavaVersion,
  parseMysqlServerVersion,
  parseNginxVersion,
  parseNodeVersion,
  parsePhpVersion,
  parsePostgresqlVersion,
  parsePythonVersion,
  type VersionParser,
} from './versions.js';

export interface VersionProbe {
  /** The item it fills: `runtime.node`, `browser.firefox`... (the parser may name another, see mysqld). */
  item: string;
  /**
   * Tried in order until one exists: a name looked up in PATH and the sbin folders, an absolute path, or a
   * pattern with `*` whose every match is asked (several PostgreSQL major versions side by side).
   */
  commands: readonly string[];
  args: readonly string[];
  parse: VersionParser;
}

export const VERSION_PROBES: readonly VersionProbe[] = [
  { item: 'runtime.node', commands: ['node', 'nodejs'], args: ['--version'], parse: parseNodeVersion },
  // `-version` rather than `--version`: Java 8 knows only the former; both print to stderr.
  { item: 'runtime.java', commands: ['java'], args: ['-version'], parse: parseJavaVersion },
  { item: 'runtime.python3', commands: ['python3'], args: ['--version'], parse: parsePythonVersion },
  { item: 'runtime.python', commands: ['python'], args: ['--version'], parse: parsePythonVersion },
  { item: 'runtime.php', commands: ['php'], args: ['--version'], parse: parsePhpVersion },
  {
    item: 'runtime.postgresql',
    commands: ['/usr/lib/postgresql/*/bin/postgres', '/usr/pgsql-*/bin/postgres', 'postgres'],
    args: ['--version'],
    parse: parsePostgresqlVersion,
  },
  {
    item: 'runtime.postgresql-client',
    commands: ['psql'],
    args: ['--version'],
    parse: parsePostgresqlVersion,
  },
  {
    item: 'runtime.mysql',
    commands: ['mariadbd', 'mysqld'],
    args: ['--version'],
    parse: parseMysqlServerVersion,
  },
  { item: 'runtime.nginx', commands: ['nginx'], args: ['-v'], parse: parseNginxVersion },
  { item: 'runtime.apache', commands: ['apache2', 'httpd'], args: ['-v'], parse: parseApacheVersion },
  {
    item: 'browser.chromium',
    commands: ['chromium', 'chromium-browser'],
    args: ['--version'],
    parse: parseChromiumVersion,
  },
  {
    item: 'browser.chrome',
    commands: ['google-chrome', 'google-chrome-stable'],
    args: ['--version'],
    parse: parseChromeVersion,
  },
  {
    item: 'browser.firefox',
    commands: ['firefox', 'firefox-esr'],
    args: ['--version'],
    parse: parseFirefoxVersion,
  },
];

/** Server binaries live in sbin folders, often missing from a service's PATH. */
const EXTRA_DIRECTORIES = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
/** How many probes run at once: a JVM and a browser starting together weigh on a small host. */
const CONCURRENCY = 4;

export interface ProbeOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** The agent's PATH by default. */
  path?: string;
}

/**
 * Items of every probe whose command exists: `<item>` = version, or `<item>.error` (`timeout`, `exit 2`,
 * `unrecognised output`, an errno code) when it exists but does not answer. An absent command gives nothing.
 * Several matches of a pattern give their versions sorted and joined with `, `. Throws only on abort.
 */
export async function probeVersions(
  probes: readonly VersionProbe[],
  options: ProbeOptions,
): Promise<[string, string][]> {
  const results: [string, string][][] = [];
  for (let start = 0; start < probes.length; start += CONCURRENCY) {
    const batch = probes.slice(start, start + CONCURRENCY);
    results.push(...(await Promise.all(batch.map((probe) => runProbe(probe, options)))));
  }
  const items = new Map<string, string>();
  for (const pairs of results) for (const [key, value] of pairs) if (!items.has(key)) items.set(key, value);
  return [...items];
}

async function runProbe(probe: VersionProbe, options: ProbeOptions): Promise<[string, string][]> {
  const executables = await findExecutables(probe.commands, options.path ?? process.env.PATH ?? '');
  if (executables.length === 0) return [];
  const readings = await Promise.all(executables.map((file) => askVersion(file, probe, options)));
  const versions = new Map<string, Set<string>>();
  for (const reading of readings) {
    if ('error' in reading) return [[`${probe.item}.error`, reading.error]];
    const item = reading.item ?? probe.item;
    versions.set(item, (versions.get(item) ?? new Set()).add(reading.version));
  }
  return [...versions].map(([item, found]) => [item, [...found].sort().join(', ')]);
}

type Answer = { version: string; item?: string } | { error: string };

async function askVersion(file: string, probe: VersionProbe, options: ProbeOptions): Promise<Answer> {
  let output: string;
  try {
    const { stdout, stderr } = await execTool(file, probe.args, {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      maxBuffer: 1024 * 1024,
      env: probeEnvironment(process.env),
    });
    output = `${stdout}\n${stderr}`;
  } catch (err) {
    if (options.signal.aborted) throw err;
    const failed = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string; killed?: boolean };
    // Some tools print their version and still exit non-zero: the version is what we came for.
    const reading = probe.parse(`${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
    if (reading !== undefined) return reading;
    if (failed.killed) return { error: 'timeout' };
    if (typeof failed.code === 'number') return { error: `exit ${failed.code}` };
    return { error: failed.code ?? 'failed' };
  }
  return probe.parse(output) ?? { error: 'unrecognised output' };
}

const looksSecret = secretKeyMatcher(DEFAULT_SECRET_KEYS);

/**
 * The agent's environment for a probe, without what is the agent's own business (`VIGIE_*`, the token) or
 * looks secret: a version command has no use for it. `LC_ALL=C` keeps the output in the parsers' language.
 */
export function probeEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept = Object.entries(env).filter(([name]) => !name.startsWith('VIGIE_') && !looksSecret(name));
  return { ...Object.fromEntries(kept), LC_ALL: 'C' };
}

/** The executables of the first command that exists; relative PATH entries are ignored (no `.`). */
export async function findExecutables(commands: readonly string[], pathVariable: string): Promise<string[]> {
  const directories = [
    ...new Set([...pathVariable.split(delimiter).filter((dir) => isAbsolute(dir)), ...EXTRA_DIRECTORIES]),
  ];
  for (const command of commands) {
    let candidates: string[];
    if (command.includes('*')) candidates = (await glob(command, { absolute: true, onlyFiles: true })).sort();
    else if (isAbsolute(command)) candidates = [command];
    else candidates = directories.map((dir) => join(dir, command));
    const found: string[] = [];
    for (const candidate of candidates) {
      if (await isExecutable(candidate)) {
        found.push(candidate);
        if (!command.includes('*')) break;
      }
    }
    if (found.length > 0) return found;
  }
  return [];
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch (err) {
    // Absent or not executable both mean "not installed" for a version probe; anything else is unexpected.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR') return false;
    throw err;
  }
}
