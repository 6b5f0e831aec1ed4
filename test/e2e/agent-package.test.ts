// The agent as a provider ships it: `npm run package` builds the single executable, the .deb and the tarball;
// the executable runs with no Node.js on PATH; the .deb installs into a minimal Debian root without Node.js
// (dpkg -i with its maintainer scripts, in a chroot), enrolls against a real collector with the two commands
// the collector prints, and a newer package installed over it keeps the unacked outbox, which then reaches
// the collector. The unit file is linted by systemd-analyze.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onboardingCommands } from '../../packages/collector/src/onboarding/commands.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { type DebianRoot, debianRoot } from '../support/debian-root.js';
import { ensureBinary, isRoot } from '../support/packages.js';
import { freePort } from '../support/ports.js';
import { COLLECTOR_CLI, ROOT, runCli } from '../support/process.js';
import { waitFor } from '../support/wait.js';

const exec = promisify(execFile);
const V1 = '0.1.0';
const V2 = '0.1.1';
const out = mkdtempSync(join(tmpdir(), 'vigie-package-'));
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.error(err));
  rmSync(out, { recursive: true, force: true });
});

const artefacts = (version: string) => ({
  dir: join(out, version),
  exe: join(out, version, `vigie-agent-${version}-linux-x64`),
  deb: join(out, version, `vigie-agent_${version}_amd64.deb`),
  tarball: join(out, version, `vigie-agent-${version}-linux-x64.tar.gz`),
});

async function build(version: string): Promise<void> {
  await exec(
    process.execPath,
    [join(ROOT, 'packages/agent/packaging/build.mjs'), '--version', version, '--out', artefacts(version).dir],
    {
      timeout: 170_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
}

/** PATH for the packaged executable: system folders that hold no `node`. */
const NO_NODE_PATH = '/usr/sbin:/sbin';

async function packaged(args: string[], env: Record<string, string> = {}) {
  const { exe } = artefacts(V1);
  try {
    const r = await exec(exe, args, {
      env: { PATH: NO_NODE_PATH, HOME: out, ...env },
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as Error & { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

beforeAll(async () => {
  await build(V1);
}, 180_000);

describe('the packaged agent', () => {
  it('builds versioned artefacts, each with a SHA-256 file that sha256sum accepts', async () => {
    const { dir, exe, deb, tarball } = artefacts(V1);
    for (const file of [exe, deb, tarball]) {
      expect(existsSync(`${file}.sha256`), basename(file)).toBe(true);
      expect(readFileSync(`${file}.sha256`, 'utf8')).toMatch(
        new RegExp(`^[0-9a-f]{64}  ${basename(file).replace(/\./g, '\\.')}\\n$`),
      );
    }
    const { stdout } = await exec(
      'sha256sum',
      ['-c', ...[exe, deb, tarball].map((f) => `${basename(f)}.sha256`)],
      { cwd: dir },
    );
    expect(stdout.trim().split('\n')).toHaveLength(3);
    const listing = (await exec('tar', ['-tzf', tarball])).stdout;
    for (const f of ['vigie-agent', 'install.sh', 'vigie-agent.service', 'agent.yaml'])
      expect(listing).toContain(`vigie-agent-${V1}-linux-x64/${f}`);
  });

  it('runs with no node on PATH: run --once --json gives results with the default config, fast', async () => {
    for (const d of NO_NODE_PATH.split(':')) expect(existsSync(join(d, 'node')), `${d}/node`).toBe(false);
    expect((await packaged(['version'])).stdout).toBe(`vigie-agent ${V1}\n`);
    // The config the package installs, copied out of the checkout (which may be in a folder others cannot read).
    const config = join(out, 'agent.yaml');
    copyFileSync(join(ROOT, 'packages/agent/packaging/agent.yaml'), config);
    expect((await packaged(['validate', '--config', config])).stdout).toContain('valid (12 checks)');
    const once = await packaged(['run', '--once', '--json', '--config', config]);
    expect(once.code, once.stderr).toBe(0);
    const results = JSON.parse(once.stdout) as Array<{ checkId: string; status: string }>;
    expect(results.map((r) => r.checkId)).toEqual([
      'cpu',
      'memory',
      'filesystem',
      'disk-io',
      'network',
      'failed-logins',
      'firewall',
      'accounts',
      'sshd',
      'reboot',
      'updates',
      'fingerprint',
    ]);
    for (const r of results) expect(['ok', 'warning', 'critical', 'unknown']).toContain(r.status);
    expect(results.find((r) => r.checkId === 'memory')?.status).toBe('ok');
    if (!existsSync('/etc/vigie/agent.yaml')) {
      // No config file at all: the embedded default.
      const embedded = await packaged(['run', '--once', '--json']);
      expect(JSON.parse(embedded.stdout)).toHaveLength(12);
    }
    // Startup to the first result: process start, config, one check, output.
    const started = performance.now();
    const first = await packaged(['run', '--once', '--json', '--check', 'memory', '--config', config]);
    const ms = performance.now() - started;
    expect(JSON.parse(first.stdout)[0].status).toBe('ok');
    console.log(
      `packaged agent: first result in ${ms.toFixed(0)} ms; executable ${(statSync(artefacts(V1).exe).size / 1048576).toFixed(1)} MB`,
    );
    expect(ms).toBeLessThan(1000);
  });

  it('the README shows the commands the collector prints, for the version the checkout builds', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const version = (
      JSON.parse(readFileSync(join(ROOT, 'packages/agent/package.json'), 'utf8')) as { version: string }
    ).version;
    expect(version).toBe(V1);
    const printed = onboardingCommands({
      url: 'wss://vigie.provider.example/ingest',
      token: 'vge_...',
      version,
    });
    for (const f of printed.families) expect(readme).toContain(`${f.install}\n${f.enroll}\n`);
  });

  it('the .deb holds the executable, the unit and the config as a conffile', async () => {
    const { deb } = artefacts(V1);
    const contents = (await exec('dpkg-deb', ['--contents', deb])).stdout;
    expect(contents).toMatch(/-rwxr-xr-x root\/root .* \.\/usr\/bin\/vigie-agent\n/);
    expect(contents).toMatch(/-rw-r--r-- root\/root .* \.\/lib\/systemd\/system\/vigie-agent\.service\n/);
    expect(contents).toMatch(/\.\/etc\/vigie\/agent\.yaml\n/);
    expect((await exec('dpkg-deb', ['--field', deb, 'Version', 'Architecture'])).stdout).toBe(
      `Version: ${V1}\nArchitecture: amd64\n`,
    );
    const info = (await exec('dpkg-deb', ['--info', deb, 'conffiles'])).stdout;
    expect(info).toBe('/etc/vigie/agent.yaml\n');
  });

  it('systemd-analyze verify accepts the unit, and it caps memory, CPU and tasks', async () => {
    const analyze = await ensureBinary('systemd-analyze', 'systemd');
    const unit = readFileSync(join(ROOT, 'packages/agent/systemd/vigie-agent.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/vigie-agent run$/m);
    for (const cap of [/^MemoryMax=\d+M$/m, /^CPUQuota=\d+%$/m, /^TasksMax=\d+$/m]) expect(unit).toMatch(cap);
    // verify also checks that ExecStart's program exists: point it at the built executable (in a container
    // without systemd as init, that is the one part of the unit it cannot take from the file alone).
    const dir = mkdtempSync(join(tmpdir(), 'vigie-unit-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const lint = async (text: string) => {
      const file = join(dir, 'vigie-agent.service');
      writeFileSync(
        file,
        text.replace(/^ExecStart=\/usr\/bin\/vigie-agent /m, `ExecStart=${artefacts(V1).exe} `),
      );
      const r = await exec(analyze, ['verify', file]).then(
        (x) => ({ code: 0, output: `${x.stdout}${x.stderr}` }),
        (e: Error & { code?: number; stdout?: string; stderr?: string }) => ({
          code: e.code,
          output: `${e.stdout}${e.stderr}`,
        }),
      );
      return r;
    };
    expect(await lint(unit)).toEqual({ code: 0, output: '' });
    // The lint is real: a misspelt directive is reported.
    expect((await lint(unit.replace('TasksMax=', 'TaskMax='))).output).toContain("Unknown key 'TaskMax'");
  });
});

/** The agent running in the chroot as its user, with its output kept. */
function runAgentInRoot(root: DebianRoot) {
  const child: ChildProcess = spawn(
    'env',
    [
      '-i',
      'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      'VIGIE_AGENT_CONFIG=/etc/vigie/agent.yaml',
      'VIGIE_STATE_DIR=/var/lib/vigie-agent',
      'VIGIE_LOG_LEVEL=debug',
      'chroot',
      '--userspec=vigie-agent:vigie-agent',
      root.dir,
      '/usr/bin/vigie-agent',
      'run',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    output: () => output,
    /** Throws with its output if the agent has exited (so a wait fails at once, not at its timeout). */
    running(): true {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the agent exited:\n${output.slice(-3000)}`);
      return true;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function idOf(root: DebianRoot, file: 'passwd' | 'group', name: string): number {
  const line = readFileSync(join(root.dir, 'etc', file), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no ${name} in the root's /etc/${file}`);
  return Number(line.split(':')[2]);
}

/** The highest sequence number among the outbox's segment lines, and the acked one from its cursor. */
function outboxSeqs(root: DebianRoot): { last: number; acked: number } {
  let last = 0;
  let acked = 0;
  for (const [name, text] of Object.entries(outboxFiles(root))) {
    if (name === 'cursor.json') acked = (JSON.parse(text) as { ackedSeq: number }).ackedSeq;
    else
      for (const l of text.split('\n'))
        if (l.startsWith('{"at"')) last = Math.max(last, (JSON.parse(l) as { seq?: number }).seq ?? 0);
  }
  return { last, acked };
}

function outboxFiles(root: DebianRoot): Record<string, string> {
  const dir = join(root.dir, 'var/lib/vigie-agent/outbox');
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) if (f !== 'lock') files[f] = readFileSync(join(dir, f), 'utf8');
  return files;
}

async function pendingInOutbox(root: DebianRoot): Promise<number> {
  const said = await root.run(['vigie-agent', 'outbox'], {
    user: 'vigie-agent',
    env: { VIGIE_STATE_DIR: '/var/lib/vigie-agent' },
  });
  const n = /^(\d+) entries/.exec(said)?.[1];
  if (n === undefined) throw new Error(`vigie-agent outbox said: ${said}`);
  return Number(n);
}

describe.skipIf(!isRoot())('the .deb in a Debian root without Node.js', () => {
  it('installs with its maintainer scripts, enrolls with the printed commands, upgrades keeping the outbox', async () => {
    await build(V2);
    const root = await debianRoot();
    cleanups.push(() => root.dispose());
    expect(await root.run(['sh', '-c', 'command -v node || echo "no node"'])).toBe('no node\n');

    // Install.
    copyFileSync(artefacts(V1).deb, join(root.dir, 'tmp', basename(artefacts(V1).deb)));
    await root.run(['dpkg', '-i', `/tmp/${basename(artefacts(V1).deb)}`]);
    const uid = idOf(root, 'passwd', 'vigie-agent');
    const gid = idOf(root, 'group', 'vigie-agent');
    expect(uid).toBeLessThan(1000); // a system user
    const st = (p: string) => statSync(join(root.dir, p));
    const mode = (p: string) => st(p).mode & 0o7777;
    expect([mode('usr/bin/vigie-agent'), st('usr/bin/vigie-agent').uid]).toEqual([0o755, 0]);
    expect([
      mode('etc/vigie/agent.yaml'),
      st('etc/vigie/agent.yaml').uid,
      st('etc/vigie/agent.yaml').gid,
    ]).toEqual([0o640, 0, gid]);
    expect([mode('var/lib/vigie-agent'), st('var/lib/vigie-agent').uid]).toEqual([0o700, uid]);
    expect(mode('lib/systemd/system/vigie-agent.service')).toBe(0o644);
    expect(readFileSync(join(root.dir, 'etc/passwd'), 'utf8')).toMatch(
      /^vigie-agent:x:\d+:\d+:[^:]*:\/var\/lib\/vigie-agent:\/usr\/sbin\/nologin$/m,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax, not a template
    expect(await root.run(['dpkg-query', '-W', '-f=${Status} ${Version}', 'vigie-agent'])).toBe(
      `install ok installed ${V1}`,
    );

    // A real collector on loopback (the chroot shares this machine's network), and an enrollment made with
    // the collector's CLI, which prints the two commands to run on the server.
    const port = await freePort();
    let collector: TestCollector = await startTestCollector({
      dialect: 'sqlite',
      config: { listen: { host: '127.0.0.1', port } },
    });
    cleanups.push(() => collector.dispose());
    await collector.collector.listen();
    await collector.addTenant('acme');
    const host = hostname();
    const printed = await runCli(COLLECTOR_CLI, [
      'enrollments',
      'create',
      '--tenant',
      'acme',
      '--host',
      host,
      '--url',
      `http://127.0.0.1:${port}`,
      '--data-dir',
      collector.dir,
    ]);
    const debian = /on the server, as root \(Debian, Ubuntu \(x86-64\)\):\n {2}(.+)\n {2}(.+)\n/.exec(
      printed,
    );
    expect(debian?.[1]).toBe(`apt-get install ./${basename(artefacts(V1).deb)}`);
    const enroll = (debian?.[2] ?? '').split(' ');
    expect(enroll.slice(0, 4)).toEqual(['vigie-agent', 'enroll', '--url', `ws://127.0.0.1:${port}/ingest`]);

    // Enroll: no systemd in the chroot, so it says how to start the agent instead.
    const enrolled = await root.run(enroll);
    expect(enrolled).toContain(`enrolled as host ${host} of tenant acme`);
    expect(enrolled).toContain(`/etc/vigie/agent.yaml: valid, reporting to ws://127.0.0.1:${port}/ingest`);
    expect(enrolled).toContain('systemd does not run here');
    expect([mode('etc/vigie/agent.token'), st('etc/vigie/agent.token').uid]).toEqual([0o600, uid]);
    const config = readFileSync(join(root.dir, 'etc/vigie/agent.yaml'), 'utf8');
    expect(config).toContain('# Vigie agent configuration, as the package installs it');
    expect(config).toContain(`url: ws://127.0.0.1:${port}/ingest`);
    expect([mode('etc/vigie/agent.yaml'), st('etc/vigie/agent.yaml').gid]).toEqual([0o640, gid]);

    // The agent, as its user, delivers to the collector.
    const states = async () =>
      (await collector.collector.store.db
        .selectFrom('check_states')
        .select(['check_id', 'observed_at'])
        .where('host', '=', host)
        .execute()) as Array<{ check_id: string; observed_at: string }>;
    let agent = runAgentInRoot(root);
    await waitFor(
      'results of the enrolled agent at the collector',
      async () => agent.running() && (await states()).length >= 10,
      { timeoutMs: 60_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent.output().slice(-3000)}`);
    });
    await agent.stop();

    // Results the collector has not acknowledged: the collector is down while the agent runs once more.
    await collector.collector.close();
    agent = runAgentInRoot(root);
    await waitFor(
      'results queued in the outbox',
      () => agent.running() && (agent.output().match(/"msg":"check ran"/g)?.length ?? 0) >= 10,
      { timeoutMs: 60_000 },
    );
    await agent.stop();
    const pending = await pendingInOutbox(root);
    expect(pending).toBeGreaterThanOrEqual(10);
    const before = outboxFiles(root);
    const queued = outboxSeqs(root);
    expect(queued.last - queued.acked).toBe(pending);
    const token = readFileSync(join(root.dir, 'etc/vigie/agent.token'), 'utf8');

    // Upgrade over it.
    copyFileSync(artefacts(V2).deb, join(root.dir, 'tmp', basename(artefacts(V2).deb)));
    await root.run(['dpkg', '-i', `/tmp/${basename(artefacts(V2).deb)}`]);
    expect(await root.run(['vigie-agent', 'version'])).toBe(`vigie-agent ${V2}\n`);
    expect(outboxFiles(root)).toEqual(before);
    expect(await pendingInOutbox(root)).toBe(pending);
    expect(readFileSync(join(root.dir, 'etc/vigie/agent.yaml'), 'utf8')).toBe(config);
    expect(readFileSync(join(root.dir, 'etc/vigie/agent.token'), 'utf8')).toBe(token);
    expect([mode('var/lib/vigie-agent'), st('var/lib/vigie-agent').uid]).toEqual([0o700, uid]);

    // The collector back on the same port and store: the upgraded agent resends everything queued.
    const restartedAt = new Date().toISOString();
    collector = await startTestCollector({
      dialect: 'sqlite',
      start: new Date().toISOString(),
      dir: collector.dir,
      storeAt: collector.store.kind === 'sqlite' ? collector.store.path : undefined,
      config: { listen: { host: '127.0.0.1', port } },
    });
    cleanups.push(() => collector.dispose());
    await collector.collector.listen();
    agent = runAgentInRoot(root);
    expect(
      await waitFor(
        'the resend notice',
        () => /"pending":(\d+).*unacked entries from a previous run/.exec(agent.output())?.[1],
      ),
    ).toBe(String(pending));
    // The outbox is sent in order: once the new run's results are in, the queued ones before them are too.
    await waitFor(
      'results of the upgraded agent',
      async () =>
        agent.running() && (await states()).filter((s) => s.observed_at >= restartedAt).length >= 10,
      { timeoutMs: 60_000 },
    );
    await agent.stop();
    // Every entry queued before the upgrade is acked (a check that finished during the stop may be left).
    expect(outboxSeqs(root).acked).toBeGreaterThanOrEqual(queued.last);
    expect(await pendingInOutbox(root)).toBeLessThanOrEqual(2);
  });

  it('the tarball installs with install.sh (other distributions), again over itself keeping the config', async () => {
    const root = await debianRoot();
    cleanups.push(() => root.dispose());
    const { tarball } = artefacts(V1);
    copyFileSync(tarball, join(root.dir, 'tmp', basename(tarball)));
    const said = await root.run([
      'sh',
      '-c',
      `cd /tmp && tar -xzf ${basename(tarball)} && ./vigie-agent-${V1}-linux-x64/install.sh`,
    ]);
    expect(said).toContain(`vigie-agent ${V1} installed in /usr/local/bin`);
    expect(said).toContain('next: vigie-agent enroll --url wss://HOST/ingest --token vge_...');
    const uid = idOf(root, 'passwd', 'vigie-agent');
    const gid = idOf(root, 'group', 'vigie-agent');
    const st = (p: string) => statSync(join(root.dir, p));
    expect([st('usr/local/bin/vigie-agent').mode & 0o7777, st('usr/local/bin/vigie-agent').uid]).toEqual([
      0o755, 0,
    ]);
    expect([st('var/lib/vigie-agent').mode & 0o7777, st('var/lib/vigie-agent').uid]).toEqual([0o700, uid]);
    expect([st('etc/vigie/agent.yaml').mode & 0o7777, st('etc/vigie/agent.yaml').gid]).toEqual([0o640, gid]);
    // Run again (an upgrade): an edited config is kept.
    writeFileSync(join(root.dir, 'etc/vigie/agent.yaml'), '# edited\n', { flag: 'a' });
    await root.run(['sh', '-c', `/tmp/vigie-agent-${V1}-linux-x64/install.sh`]);
    expect(readFileSync(join(root.dir, 'etc/vigie/agent.yaml'), 'utf8')).toMatch(/# edited\n$/);
    expect(await root.run(['/usr/local/bin/vigie-agent', 'version'])).toBe(`vigie-agent ${V1}\n`);
  });
});
