// Processes and temporary folders for the benchmarks: every child runs in its own process group, dies with the
// bench (setpriv --pdeathsig), can get a higher open-file limit (prlimit), and is killed, with every temporary
// folder removed, when the bench ends, fails or is interrupted (SIGINT/SIGTERM).
//
// Set VIGIE_BENCH_KEEP_TMP=1 to keep the temporary folders (data and logs).
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** @typedef {import('node:child_process').ChildProcess} ChildProcess */

/**
 * @typedef {object} Managed
 * @property {string} name
 * @property {ChildProcess} child
 * @property {number} pid
 * @property {string | undefined} logFile
 * @property {Promise<{ code: number | null; signal: string | null }>} exited
 * @property {() => boolean} isRunning
 * @property {(signal?: NodeJS.Signals, timeoutMs?: number) => Promise<void>} stop
 */

/** @type {Set<Managed>} */
const live = new Set();
/** @type {Set<string>} */
const tempDirs = new Set();
/** @type {Array<() => Promise<void>>} */
const cleanups = [];
let hooksInstalled = false;
let cleaningUp = false;

export const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const isRoot = () => process.getuid?.() === 0;

/** The absolute path of a program on PATH (plus the sbin folders), or undefined. */
export function which(/** @type {string} */ name) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** This process's open-file limits, from /proc/self/limits. */
export function nofileLimits() {
  const text = readFileSync('/proc/self/limits', 'utf8');
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  const num = (/** @type {string | undefined} */ s) =>
    s === undefined || s === 'unlimited' ? Infinity : Number(s);
  return { soft: num(m?.[1]), hard: num(m?.[2]) };
}

/**
 * The open-file limit to give a child that needs `need` descriptors, or undefined when the inherited soft
 * limit is enough. The soft limit can be raised up to the hard one; beyond it (which even root may be
 * refused in a container) the child gets the hard limit and a warning says so.
 */
export function nofileFor(/** @type {number} */ need) {
  const { soft, hard } = nofileLimits();
  if (soft >= need) return undefined;
  if (need <= hard) return need;
  process.stderr.write(
    `warning: ${need} open files needed but the hard limit is ${hard}: children get ${hard} ` +
      '(raise it, e.g. with `ulimit -Hn`, as root)\n',
  );
  return hard;
}

const SETPRIV = which('setpriv');
const PRLIMIT = which('prlimit');

/**
 * Wraps a command so that it is killed when the bench dies (parent death signal), runs as `user` (uid/gid)
 * when given, and gets `nofile` open files when given.
 * @param {string} command
 * @param {string[]} args
 * @param {{ nofile?: number; user?: { uid: number; gid: number } }} [opts]
 * @returns {[string, string[]]}
 */
export function wrapCommand(command, args, opts = {}) {
  let cmd = command;
  let argv = args;
  if (opts.nofile !== undefined) {
    if (!PRLIMIT)
      throw new Error(`prlimit (util-linux) is needed to raise the open-file limit to ${opts.nofile}`);
    argv = [`--nofile=${opts.nofile}:${opts.nofile}`, '--', cmd, ...argv];
    cmd = PRLIMIT;
  }
  if (SETPRIV) {
    // setpriv sets the death signal after changing user, so it holds for both.
    const user = opts.user ? [`--reuid=${opts.user.uid}`, `--regid=${opts.user.gid}`, '--clear-groups'] : [];
    argv = [...user, '--pdeathsig', 'SIGKILL', '--', cmd, ...argv];
    cmd = SETPRIV;
  } else if (opts.user) {
    throw new Error('setpriv (util-linux) is needed to run a server as another user');
  }
  return [cmd, argv];
}

function appendLine(/** @type {string} */ file, /** @type {string} */ line) {
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Starts a long-running child in its own process group, stdout/stderr to `logFile` (or inherited).
 * @param {{ name: string; command: string; args: string[]; cwd?: string; env?: NodeJS.ProcessEnv;
 *   logFile?: string; nofile?: number; user?: { uid: number; gid: number }; ipc?: boolean }} spec
 * @returns {Managed}
 */
export function startProcess(spec) {
  installHooks();
  const [cmd, argv] = wrapCommand(spec.command, spec.args, { nofile: spec.nofile, user: spec.user });
  /** @type {import('node:child_process').StdioOptions} */
  let stdio;
  let fd = -1;
  if (spec.logFile) {
    appendLine(spec.logFile, `=== ${new Date().toISOString()} ${cmd} ${argv.join(' ')}`);
    fd = openSync(spec.logFile, 'a');
    stdio = ['ignore', fd, fd];
  } else {
    stdio = ['ignore', 'inherit', 'inherit'];
  }
  if (spec.ipc) stdio = [...stdio, 'ipc'];
  let child;
  try {
    child = spawn(cmd, argv, { cwd: spec.cwd, env: spec.env ?? process.env, stdio, detached: true });
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  /** @type {{ code: number | null; signal: string | null } | undefined} */
  let exitInfo;
  const exited = new Promise((resolve) => {
    child.once('error', (err) => {
      exitInfo = { code: null, signal: null };
      if (spec.logFile) appendLine(spec.logFile, `=== could not start: ${err.message}`);
      resolve(exitInfo);
    });
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  /** @type {Managed} */
  const managed = {
    name: spec.name,
    child,
    pid: child.pid ?? -1,
    logFile: spec.logFile,
    exited,
    isRunning: () => exitInfo === undefined,
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (exitInfo === undefined) {
        try {
          child.kill(signal);
        } catch {
          // gone
        }
        const done = await Promise.race([exited.then(() => true), sleep(timeoutMs).then(() => false)]);
        if (!done) {
          killGroup(managed, 'SIGKILL');
          await Promise.race([exited, sleep(5000)]);
        }
      }
      killGroup(managed, 'SIGKILL');
      live.delete(managed);
    },
  };
  live.add(managed);
  return managed;
}

function killGroup(/** @type {Managed} */ m, /** @type {NodeJS.Signals} */ signal) {
  if (m.pid <= 0) return;
  try {
    process.kill(-m.pid, signal);
  } catch {
    // already gone
  }
}

/** Runs a command to completion (output to logFile); throws with the log's tail unless it exits 0. */
export async function runToCompletion(
  /** @type {string} */ name,
  /** @type {string} */ command,
  /** @type {string[]} */ args,
  /** @type {{ cwd?: string; env?: NodeJS.ProcessEnv; logFile: string; timeoutMs: number; user?: { uid: number; gid: number } }} */ opts,
) {
  const m = startProcess({
    name,
    command,
    args,
    cwd: opts.cwd,
    env: opts.env,
    logFile: opts.logFile,
    user: opts.user,
  });
  const timer = setTimeout(() => killGroup(m, 'SIGKILL'), opts.timeoutMs);
  const info = await m.exited;
  clearTimeout(timer);
  live.delete(m);
  if (info.code !== 0) {
    throw new Error(`${name} exited with ${info.signal ?? info.code}\n${logTail(opts.logFile)}`);
  }
}

/** The last lines of a log file, for error messages. */
export function logTail(/** @type {string | undefined} */ file, lines = 30) {
  if (!file) return '';
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return `--- last ${lines} lines of ${file} ---\n${text}`;
  } catch {
    return `(no log at ${file})`;
  }
}

/** A new temporary folder, removed at the end of the bench. */
export function makeTempDir(/** @type {string} */ prefix, base = tmpdir()) {
  installHooks();
  const dir = mkdtempSync(join(base, prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(/** @type {string} */ dir) {
  tempDirs.delete(dir);
  if (process.env.VIGIE_BENCH_KEEP_TMP === '1') return;
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Registers an async cleanup (stopping a server, ...) run on SIGINT/SIGTERM and by runCleanups(). */
export function onCleanup(/** @type {() => Promise<void>} */ fn) {
  installHooks();
  cleanups.push(fn);
}

/** Runs the registered cleanups (latest first), stops every live child and removes the temporary folders. */
export async function runCleanups() {
  if (cleaningUp) return;
  cleaningUp = true;
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    await fn?.().catch((err) => process.stderr.write(`cleanup: ${String(err)}\n`));
  }
  await Promise.all([...live].map((m) => m.stop('SIGTERM', 5000)));
  for (const dir of [...tempDirs]) removeTempDir(dir);
  cleaningUp = false;
}

function installHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const onSignal = (/** @type {NodeJS.Signals} */ signal) => {
    process.stderr.write(`\n${signal}: stopping every process the bench started and removing its folders\n`);
    const hard = setTimeout(() => process.exit(130), 15_000);
    runCleanups().finally(() => {
      clearTimeout(hard);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const m of live) killGroup(m, 'SIGKILL');
    if (process.env.VIGIE_BENCH_KEEP_TMP === '1') return;
    for (const dir of tempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `probe` every `intervalMs` until it returns true; throws after `timeoutMs` (or when `alive` says the
 * process it waits for has died).
 * @param {string} what
 * @param {() => Promise<boolean>} probe
 * @param {{ timeoutMs: number; intervalMs?: number; alive?: () => boolean; logFile?: string }} opts
 */
export async function waitUntil(what, probe, opts) {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (opts.alive && !opts.alive()) throw new Error(`${what}: the process exited\n${logTail(opts.logFile)}`);
    if (await probe().catch(() => false)) return;
    await sleep(opts.intervalMs ?? 100);
  }
  throw new Error(`${what}: not ready within ${opts.timeoutMs / 1000} s\n${logTail(opts.logFile)}`);
}

/** GET `url` and check the status (2 s timeout). */
export async function httpStatusIs(/** @type {string} */ url, /** @type {number} */ status) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status === status;
}

// ---- /proc readings ----

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // keep 100
}

/** Resident memory of a process in KiB (VmRSS), or undefined when it is gone. */
export function rssKiB(/** @type {number} */ pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, or undefined when it is gone. */
export function cpuSeconds(/** @type {number} */ pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / clkTck;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by a process and all its live descendants (PostgreSQL's backends are children of the
 * postmaster, each in its own session, so a process group would miss them).
 */
export function treeCpuSeconds(/** @type {number} */ rootPid) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  /** @type {Map<number, number>} */
  const cpu = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      const ppid = Number(rest[1]);
      cpu.set(pid, (Number(rest[11]) + Number(rest[12])) / clkTck);
      const list = children.get(ppid) ?? [];
      list.push(pid);
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = /** @type {number} */ (stack.pop());
    total += cpu.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** The machine's CPU time so far: busy and total seconds over every core (from /proc/stat). */
export function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / clkTck, total: total / clkTck };
}
