import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBinary, ensureFound } from '../../../../../../test/support/packages.js';
import { waitFor } from '../../../../../../test/support/wait.js';
import type { CheckContext } from '../../types.js';
import { formatUptime } from './duration.js';
import serviceDefault, { serviceCheck } from './index.js';
import { resolveTarget, ServiceOptionsSchema } from './options.js';
import { judgeProcesses, replacedProcesses } from './process-verdict.js';
import { parseProcPidStat, parseUptime, parseVmRss } from './processes.js';
import { parseSystemctlShow, systemctlFailureReason } from './systemctl.js';
import { judgeUnit, unitRestarts } from './unit-verdict.js';

const run = promisify(execFile);
const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
// `systemctl --user show -p ...` of transient units (systemd-run) under a real systemd 252 user manager.
const running = parseSystemctlShow(testdata('systemctl-show-running.txt'));
const restarted = parseSystemctlShow(testdata('systemctl-show-restarted.txt'));
const failed = parseSystemctlShow(testdata('systemctl-show-failed.txt'));
const notFound = parseSystemctlShow(testdata('systemctl-show-not-found.txt'));

const context = (signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => new Date(),
  state: new Map(),
});

describe('reading systemctl show', () => {
  it('reads the state, restarts, main pid and start time of a unit', () => {
    expect(running).toEqual({
      loadState: 'loaded',
      activeState: 'active',
      subState: 'running',
      restartsTotal: 0,
      mainPid: 26078,
      startMonotonicUs: 1508980324,
    });
    expect(restarted).toMatchObject({ restartsTotal: 1, mainPid: 26151 });
    // systemd 252 prints MemoryCurrent only when asked; the captures above predate the question.
    expect(
      parseSystemctlShow(`${testdata('systemctl-show-running.txt')}MemoryCurrent=4321792\n`).memoryBytes,
    ).toBe(4_321_792);
    for (const unaccounted of ['[not set]', '18446744073709551615'])
      expect(
        parseSystemctlShow(`${testdata('systemctl-show-running.txt')}MemoryCurrent=${unaccounted}\n`)
          .memoryBytes,
      ).toBeUndefined();
    expect(notFound).toMatchObject({ loadState: 'not-found', activeState: 'inactive', startMonotonicUs: 0 });
  });

  it('refuses output without the asked properties, and keeps the reason systemctl gave', () => {
    expect(() => parseSystemctlShow('ActiveState=active\n')).toThrow(/printed no LoadState, SubState/);
    // What systemctl says on this VM, where PID 1 is not systemd.
    expect(systemctlFailureReason(testdata('systemctl-show-no-systemd.stderr.txt'))).toBe(
      "System has not been booted with systemd as init system (PID 1). Can't operate.",
    );
  });
});

describe('judging a unit', () => {
  const startedAt = running.startMonotonicUs;

  it('is ok while active, with its uptime', () => {
    expect(judgeUnit('vigie-demo.service', running, 0, startedAt + 3_725_000_000)).toEqual({
      status: 'ok',
      metrics: { active: 1, restarts: 0, restarts_total: 0, uptime_seconds: 3725 },
      message: 'unit vigie-demo.service active (running) for 1h 2m',
    });
  });

  it('counts automatic restarts, and a new start time as a manual restart', () => {
    expect(unitRestarts(undefined, running)).toBe(0);
    expect(unitRestarts(running, restarted)).toBe(1);
    expect(unitRestarts(restarted, restarted)).toBe(0);
    expect(unitRestarts(running, { ...running, startMonotonicUs: startedAt + 5 })).toBe(1);
    const outcome = judgeUnit('vigie-demo.service', restarted, 1, restarted.startMonotonicUs + 2_000_000);
    expect(outcome).toMatchObject({
      status: 'warning',
      message: 'unit vigie-demo.service active (running) for 2s, restarted 1 time(s) since the previous run',
    });
  });

  it('is critical when failed or not found', () => {
    expect(judgeUnit('vigie-fail.service', failed, 0, 0)).toEqual({
      status: 'critical',
      metrics: { active: 0, restarts: 0, restarts_total: 0 },
      message: 'unit vigie-fail.service failed (failed)',
    });
    expect(judgeUnit('no-such-unit.service', notFound, 0, 0).message).toBe(
      'unit no-such-unit.service not found',
    );
  });
});

describe('reading /proc/<pid>/stat', () => {
  it('reads the name, state and start time, even of a name with spaces and parentheses', () => {
    expect(parseProcPidStat(testdata('proc-pid-stat-sleep.txt'))).toEqual({
      pid: 24334,
      comm: 'sleep',
      state: 'S',
      startTicks: 145087,
    });
    // A copy of sleep named `we (i) rd) x`.
    expect(parseProcPidStat(testdata('proc-pid-stat-odd-comm.txt'))).toMatchObject({
      comm: 'we (i) rd) x',
      startTicks: 145056,
    });
    expect(parseUptime('1450.88 2357.42\n')).toBe(1450.88);
    expect(() => parseProcPidStat('MemTotal: 1 kB')).toThrow(/not a \/proc\/<pid>\/stat line/);
  });

  it('reads the resident memory of /proc/<pid>/status, in bytes', () => {
    // /proc/<pid>/status of a `sleep` on Debian 12 (kernel 6.18).
    expect(parseVmRss(testdata('proc-pid-status-sleep.txt'))).toBe(1800 * 1024);
    // Kernel threads have no VmRSS line.
    expect(parseVmRss('Name:\tkthreadd\nState:\tS (sleeping)\n')).toBeUndefined();
  });
});

describe('judging processes', () => {
  const sleep = parseProcPidStat(testdata('proc-pid-stat-sleep.txt'));

  it('counts a process replaced since the previous run, not one that only left or only came', () => {
    expect(replacedProcesses(undefined, ['1:10'])).toBe(0);
    expect(replacedProcesses(['1:10', '2:20'], ['1:10', '3:30'])).toBe(1);
    expect(replacedProcesses(['1:10', '2:20'], ['1:10'])).toBe(0);
    expect(replacedProcesses(['1:10'], ['1:10', '2:20'])).toBe(0);
    // A pid reused by another process is a new process.
    expect(replacedProcesses(['1:10'], ['1:99'])).toBe(1);
  });

  it('is ok, warning after a restart, and critical below minCount', () => {
    const reading = {
      description: 'process "sleep"',
      processes: [sleep],
      restarts: 0,
      uptimeSeconds: 1500,
      minCount: 1,
    };
    expect(judgeProcesses(reading)).toEqual({
      status: 'ok',
      metrics: { processes: 1, restarts: 0, oldest_uptime_seconds: 49 },
      message: 'process "sleep": 1 running, oldest up 49s',
    });
    expect(judgeProcesses({ ...reading, restarts: 1 }).message).toBe(
      'process "sleep": 1 running, oldest up 49s, 1 restarted since the previous run',
    );
    expect(judgeProcesses({ ...reading, minCount: 2 })).toMatchObject({
      status: 'critical',
      message: 'process "sleep": 1 running (critical < 2)',
    });
    expect(judgeProcesses({ ...reading, processes: [] }).metrics).toEqual({ processes: 0, restarts: 0 });
    expect(judgeProcesses({ ...reading, memoryBytes: 1_843_200 }).metrics.memory_bytes).toBe(1_843_200);
  });

  it('formats uptimes for messages', () => {
    expect([59, 60, 3599, 3600 * 5 + 60 * 7, 86_400 * 3 + 3600 * 2].map(formatUptime)).toEqual([
      '59s',
      '1m',
      '59m',
      '5h 7m',
      '3d 2h',
    ]);
  });
});

describe('service options', () => {
  it('is exported by name and by default, with a strict options schema', () => {
    expect(serviceDefault).toBe(serviceCheck);
    expect(serviceCheck.type).toBe('service');
    expect(Value.Check(ServiceOptionsSchema, { unit: 'nginx.service' })).toBe(true);
    expect(Value.Check(ServiceOptionsSchema, { unit: 'getty@tty1.service', scope: 'user' })).toBe(true);
    expect(Value.Check(ServiceOptionsSchema, { unit: '--all' })).toBe(false);
    expect(Value.Check(ServiceOptionsSchema, { process: 'nginx', minCount: 0 })).toBe(false);
    expect(Value.Check(ServiceOptionsSchema, { name: 'nginx' })).toBe(false);
  });

  it('names exactly one thing to look for', async () => {
    expect(resolveTarget({ process: 'php-fpm8.2-worker-pool' })).toMatchObject({
      matcher: { comm: 'php-fpm8.2-work' },
    });
    for (const [options, reason] of [
      [{}, 'set exactly one of unit, process or match (got none)'],
      [{ unit: 'a', process: 'b' }, 'set exactly one of unit, process or match (got unit, process)'],
      [{ unit: 'a', minCount: 2 }, 'minCount applies to process and match, not to unit'],
      [{ process: 'a', scope: 'user' as const }, 'scope applies to unit only'],
    ] as const) {
      expect(await serviceCheck.run(options, context())).toEqual({
        status: 'unknown',
        metrics: {},
        message: `invalid options: ${reason}`,
      });
    }
    expect((await serviceCheck.run({ match: '(' }, context())).message).toMatch(
      /^invalid options: match is not a regular expression/,
    );
  });
});

describe('service check on real processes', () => {
  let folder: string;
  let binary: string;
  const name = `vgsvc${randomBytes(3).toString('hex')}`;
  const children: ChildProcess[] = [];

  /** A real sleep, under a name only this test uses. */
  function startService(): ChildProcess {
    const child = spawn(binary, ['300'], { stdio: 'ignore' });
    children.push(child);
    return child;
  }

  async function stopService(child: ChildProcess): Promise<void> {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'vigie-service-'));
    binary = join(folder, name);
    await copyFile(await ensureBinary('sleep', 'coreutils'), binary);
    await chmod(binary, 0o755);
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await rm(folder, { recursive: true, force: true });
  });

  it('follows a process by name through a restart and a crash', async () => {
    const ctx = context();
    const first = startService();
    await waitFor(
      'the process',
      async () => (await serviceCheck.run({ process: name }, context())).status === 'ok',
    );
    const up = await serviceCheck.run({ process: name }, ctx);
    expect(up).toMatchObject({ status: 'ok', metrics: { processes: 1, restarts: 0 } });
    // A `sleep` is resident in a few hundred KiB to a few MiB.
    expect(up.metrics.memory_bytes).toBeGreaterThan(100 * 1024);
    expect(up.metrics.memory_bytes).toBeLessThan(64 * 1024 * 1024);
    expect(up.message).toMatch(new RegExp(`^process "${name}": 1 running, oldest up \\d+s$`));
    expect(Value.Check(MetricsSchema, up.metrics)).toBe(true);

    await stopService(first);
    const second = startService();
    await waitFor(
      'the new process',
      async () => (await serviceCheck.run({ process: name }, context())).status === 'ok',
    );
    const restartedOutcome = await serviceCheck.run({ process: name }, ctx);
    expect(restartedOutcome).toMatchObject({ status: 'warning', metrics: { processes: 1, restarts: 1 } });
    expect(restartedOutcome.message).toMatch(/1 restarted since the previous run$/);
    expect((await serviceCheck.run({ process: name }, ctx)).status).toBe('ok');
    expect(await serviceCheck.run({ process: name, minCount: 2 }, context())).toMatchObject({
      status: 'critical',
      message: `process "${name}": 1 running (critical < 2)`,
    });

    await stopService(second);
    expect(await serviceCheck.run({ process: name }, ctx)).toEqual({
      status: 'critical',
      metrics: { processes: 0, restarts: 0 },
      message: `process "${name}": 0 running (critical < 1)`,
    });
  });

  it('finds processes by command line', async () => {
    const marker = String(3_000_000 + randomBytes(2).readUInt16BE());
    const child = spawn(await ensureBinary('sleep', 'coreutils'), [marker], { stdio: 'ignore' });
    children.push(child);
    const match = `sleep ${marker}$`;
    const outcome = await waitFor('the sleep', async () => {
      const o = await serviceCheck.run({ match }, context());
      return o.status === 'ok' ? o : undefined;
    });
    expect(outcome.metrics.processes).toBe(1);
    expect(outcome.message).toMatch(new RegExp(`^processes matching /sleep ${marker}\\$/: 1 running`));
  });

  it('is unknown once its timeout has fired', async () => {
    const aborted = new AbortController();
    aborted.abort();
    expect(await serviceCheck.run({ process: name }, context(aborted.signal))).toEqual({
      status: 'unknown',
      metrics: {},
      message: expect.stringMatching(/^cannot list the processes in \/proc: timed out/),
    });
  });
});

/**
 * A real systemd user manager, so units can be tested where PID 1 is not systemd. It refuses to start unless
 * /run/systemd/system exists, so it runs in a private mount namespace with its own /run/systemd.
 */
async function startUserManager(): Promise<{ runtimeDir: string; stop: () => Promise<void> }> {
  const unshare = await ensureBinary('unshare', 'util-linux');
  const systemd = await ensureFound(
    async () => ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'].find((path) => existsSync(path)),
    'systemd',
    'systemd',
  );
  const runtimeDir = await mkdtemp(join(tmpdir(), 'vigie-systemd-'));
  await chmod(runtimeDir, 0o700);
  const script = 'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && exec "$SYSTEMD" --user';
  const child = spawn(unshare, ['--mount', '--propagation', 'private', 'sh', '-c', script], {
    env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, SYSTEMD: systemd },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitFor('the systemd user manager', () => existsSync(join(runtimeDir, 'systemd', 'private')));
  return {
    runtimeDir,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      await rm(runtimeDir, { recursive: true, force: true });
    },
  };
}

describe('service check on real systemd units', () => {
  let manager: Awaited<ReturnType<typeof startUserManager>>;
  const previousRuntimeDir = process.env.XDG_RUNTIME_DIR;
  const unit = `vigie-${randomBytes(3).toString('hex')}.service`;
  let systemctl = 'systemctl';
  let systemdRun = 'systemd-run';
  const user = (...args: string[]) => run(systemctl, ['--user', ...args]);
  const show = async (property: string) =>
    (await user('show', '-p', property, '--value', unit)).stdout.trim();

  beforeAll(async () => {
    systemctl = await ensureBinary('systemctl', 'systemd');
    systemdRun = await ensureBinary('systemd-run', 'systemd');
    manager = await startUserManager();
    // The check's systemctl finds the user manager through the environment, as under a real login.
    process.env.XDG_RUNTIME_DIR = manager.runtimeDir;
  }, 30_000);
  afterAll(async () => {
    if (previousRuntimeDir === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = previousRuntimeDir;
    await manager?.stop();
  }, 30_000);

  it('is ok while active, warns after a restart, and is critical once stopped', async () => {
    // A unit file (in the manager's runtime search path), not a transient unit: it stays loaded once stopped.
    const sleep = await ensureBinary('sleep', 'coreutils');
    const unitFolder = join(manager.runtimeDir, 'systemd', 'user');
    await mkdir(unitFolder, { recursive: true });
    await writeFile(
      join(unitFolder, unit),
      `[Service]\nExecStart=${sleep} 300\nRestart=always\nRestartSec=100ms\n`,
    );
    await user('daemon-reload');
    await user('start', unit);
    const ctx = context();
    const up = await serviceCheck.run({ unit, scope: 'user' }, ctx);
    expect(up).toMatchObject({ status: 'ok', metrics: { active: 1, restarts: 0, restarts_total: 0 } });
    expect(up.message).toMatch(new RegExp(`^unit ${unit} active \\(running\\) for \\d+s$`));
    expect(up.metrics.uptime_seconds).toBeLessThan(60);

    process.kill(Number(await show('MainPID')), 'SIGKILL');
    await waitFor(
      'the automatic restart',
      async () => (await show('NRestarts')) === '1' && (await show('SubState')) === 'running',
    );
    const restartedOutcome = await serviceCheck.run({ unit, scope: 'user' }, ctx);
    expect(restartedOutcome).toMatchObject({
      status: 'warning',
      metrics: { restarts: 1, restarts_total: 1 },
    });
    expect((await serviceCheck.run({ unit, scope: 'user' }, ctx)).status).toBe('ok');

    await user('stop', unit);
    expect(await serviceCheck.run({ unit, scope: 'user' }, ctx)).toMatchObject({
      status: 'critical',
      message: `unit ${unit} inactive (dead)`,
    });
  });

  it('is critical for a failed unit and for a unit that does not exist', async () => {
    const failing = `vigie-fail-${randomBytes(3).toString('hex')}.service`;
    await run(systemdRun, ['--user', `--unit=${failing}`, await ensureBinary('false', 'coreutils')]);
    await waitFor(
      'the failure',
      async () => (await user('show', '-p', 'ActiveState', '--value', failing)).stdout.trim() === 'failed',
    );
    expect(await serviceCheck.run({ unit: failing, scope: 'user' }, context())).toMatchObject({
      status: 'critical',
      message: `unit ${failing} failed (failed)`,
    });
    expect(
      (await serviceCheck.run({ unit: 'vigie-no-such.service', scope: 'user' }, context())).message,
    ).toBe('unit vigie-no-such.service not found');
  });

  it("is unknown, with systemctl's reason, when it cannot reach the service manager", async () => {
    const empty = await mkdtemp(join(tmpdir(), 'vigie-no-systemd-'));
    process.env.XDG_RUNTIME_DIR = empty;
    try {
      expect(await serviceCheck.run({ unit, scope: 'user' }, context())).toEqual({
        status: 'unknown',
        metrics: {},
        message: `cannot ask systemd about unit ${unit}: systemctl: Failed to connect to bus: No such file or directory`,
      });
    } finally {
      process.env.XDG_RUNTIME_DIR = manager.runtimeDir;
      await rm(empty, { recursive: true, force: true });
    }
  });
});
