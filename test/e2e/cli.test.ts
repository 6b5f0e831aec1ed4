// The command lines as a new user meets them (issue 15): on PATH after `npm install`, the data folder from
// VIGIE_DATA_DIR as for `npm start`, one clear line and a non-zero exit for every user error (never a stack
// trace), a collector that cannot listen exits at once naming the port, and the quick start checks that the
// collector answering is the one it started.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { AGENT_CLI, COLLECTOR_CLI, ROOT } from '../support/process.js';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end (bounded), with the environment given on top of a clean copy of ours. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 60_000): Promise<Ran> {
  const started = Date.now();
  const clean = { ...process.env };
  delete clean.VIGIE_DATA_DIR;
  delete clean.VIGIE_PORT;
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...clean, ...env }, timeout, cwd: ROOT }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}
const node = (cli: string, args: string[], env?: NodeJS.ProcessEnv) =>
  run(process.execPath, [cli, ...args], env);
const BIN = join(ROOT, 'node_modules/.bin');

/** A user error: exit code 2 (or as given), one line on stderr naming the problem, no stack trace. */
function expectOneLine(r: Ran, pattern: RegExp, code = 2) {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

/** Something else listening on a port, answering 200 to anything (as a foreign web server would). */
async function occupiedPort(): Promise<number> {
  const port = await freePort();
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
  );
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  servers.push(server);
  return port;
}

describe('vigie-agent and vigie-collector on PATH after npm install', () => {
  it('are workspace bins in node_modules/.bin that run the built CLIs', async () => {
    const agent = await run(join(BIN, 'vigie-agent'), ['version']);
    expect(agent).toMatchObject({ code: 0, stdout: expect.stringMatching(/^vigie-agent \d+\.\d+\.\d+\n$/) });
    const collector = await run(join(BIN, 'vigie-collector'), ['--help']);
    expect(collector.code).toBe(0);
    expect(collector.stdout).toContain('usage: vigie-collector <command>');
    // As npm scripts and npx see them: on PATH.
    const viaPath = await run('sh', ['-c', 'vigie-agent version'], { PATH: `${BIN}:${process.env.PATH}` });
    expect(viaPath.stdout).toMatch(/^vigie-agent /);
  });
});

describe('vigie-collector', () => {
  it('reads VIGIE_DATA_DIR like npm start, and a config file wins over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-cli-'));
    const env = { VIGIE_DATA_DIR: join(dir, 'data') };
    expect((await node(COLLECTOR_CLI, ['tenants', 'add', 'acme'], env)).code).toBe(0);
    expect(existsSync(join(dir, 'data', 'state.db'))).toBe(true);
    expect((await node(COLLECTOR_CLI, ['tenants', 'list'], env)).stdout).toMatch(/^acme\t/);
    const config = join(dir, 'collector.yaml');
    writeFileSync(config, `dataDir: ${join(dir, 'other')}\n`);
    expect((await node(COLLECTOR_CLI, ['tenants', 'list', '--config', config], env)).stdout).toBe('');
  });

  it('answers every user error with one line and a non-zero exit, never a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-cli-'));
    const c = (...args: string[]) => node(COLLECTOR_CLI, [...args, '--data-dir', dir]);
    await c('tenants', 'add', 'acme');
    const bad = join(dir, 'bootstrap.json');
    writeFileSync(bad, '{not json');
    // Independent of each other: run together.
    const cases: Array<[Promise<Ran>, RegExp]> = [
      [c('tenants', 'add', 'acme'), /^vigie-collector: tenant acme already exists$/],
      [c('tenants', 'add', 'no spaces!'), /invalid tenant id "no spaces!"/],
      [c('tenants', 'add'), /tenants add needs an ID/],
      [c('tenants', 'list', '--frobnicate'), /Unknown option '--frobnicate' \(see vigie-collector --help\)$/],
      [c('frob'), /unknown command "frob"/],
      [c('tokens', 'create', '--tenant', 'nobody'), /no tenant "nobody"/],
      [c('tokens', 'create', '--tenant', 'acme', '--host', 'a b'), /--host: "a b" is not a host name/],
      [
        c('enrollments', 'create', '--tenant', 'acme', '--ttl', '99999999d'),
        /--ttl: .* more than the maximum, 30d/,
      ],
      [c('enrollments', 'create', '--tenant', 'acme', '--ttl', 'soon'), /--ttl: "soon" is not a duration/],
      [c('serve', '--port', 'http'), /--port: "http" is not a port/],
      [c('bootstrap', '--out', bad), /is not a bootstrap file .* remove it to start over/],
    ];
    for (const [ran, pattern] of cases) expectOneLine(await ran, pattern);
    const missing = await node(COLLECTOR_CLI, ['tenants', 'list', '--config', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain('nope.yaml');
    expect(missing.stderr).not.toMatch(/^\s+at /m);
  });

  it('exits at once, non-zero, naming the port, when it cannot listen', async () => {
    const port = await occupiedPort();
    const dir = mkdtempSync(join(tmpdir(), 'vigie-cli-'));
    const r = await run(
      process.execPath,
      [COLLECTOR_CLI, 'serve', '--port', String(port), '--data-dir', dir],
      {},
      20_000,
    );
    expectOneLine(
      r,
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is already in use`),
      1,
    );
    expect(r.ms).toBeLessThan(15_000);
  });
});

describe('vigie-agent', () => {
  it('answers user errors with one line and a non-zero exit', async () => {
    expectOneLine(
      await node(AGENT_CLI, ['run', '--bogus']),
      /^vigie-agent: Unknown option '--bogus' \(see vigie-agent --help\)$/,
    );
    expectOneLine(await node(AGENT_CLI, ['frob']), /^vigie-agent: unknown command "frob"/);
    const enroll = await node(AGENT_CLI, [
      'enroll',
      '--token',
      'vge_x',
      '--url',
      'http://127.0.0.1:1',
      '--out',
      join(tmpdir(), 'x'),
    ]);
    expect(enroll.code).toBe(1);
    expect(enroll.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(enroll.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('the quick start', () => {
  /** Runs scripts/start.mjs until it prints that Vigie runs, or exits; then stops it. */
  function quickStart(port: number, dataDir: string) {
    return new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'scripts/start.mjs')], {
        cwd: ROOT,
        env: { ...process.env, VIGIE_PORT: String(port), VIGIE_DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const keep = (d: Buffer) => {
        output += d.toString();
        if (output.includes('Vigie is running')) child.kill('SIGINT');
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  it('fails, naming the port, when something else answers there', async () => {
    const port = await occupiedPort();
    const r = await quickStart(port, mkdtempSync(join(tmpdir(), 'vigie-qs-')));
    expect(r.code).toBe(1);
    expect(r.output).not.toContain('Vigie is running');
    expect(r.output).toMatch(new RegExp(`port ${port}`));
  });

  it('reports success only for the collector it started', async () => {
    const r = await quickStart(await freePort(), mkdtempSync(join(tmpdir(), 'vigie-qs-')));
    expect(r.output).toContain('Vigie is running');
    expect(r.code).toBe(0);
  });
});
