import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBinary } from '../../../../../../test/support/packages.js';
import { waitFor } from '../../../../../../test/support/wait.js';
import type { CheckContext } from '../../types.js';
import tcpDefault, { tcpCheck } from './index.js';
import { TcpOptionsSchema } from './options.js';

const context = (signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => new Date(),
  state: new Map(),
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/**
 * A listener that never accepts, with a backlog of one: once a first connection fills the queue, Linux drops
 * further SYNs, so a connect hangs as behind a firewall that drops packets. Node always accepts, so Python.
 */
async function silentPort(children: ChildProcessWithoutNullStreams[], fillers: Socket[]): Promise<number> {
  const python = await ensureBinary('python3', 'python3');
  const script = [
    'import socket, sys',
    's = socket.socket()',
    "s.bind(('127.0.0.1', 0))",
    's.listen(0)',
    'print(s.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn(python, ['-c', script]);
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const port = Number(await waitFor('the python listener', () => output.trim() || undefined));
  const filler = connect(port, '127.0.0.1');
  fillers.push(filler);
  await new Promise((resolve) => filler.once('connect', resolve));
  return port;
}

describe('tcp check', () => {
  let server: Server;
  let port: number;
  const children: ChildProcessWithoutNullStreams[] = [];
  const fillers: Socket[] = [];

  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    port = await listen(server);
  });
  afterAll(async () => {
    for (const socket of fillers) socket.destroy();
    for (const child of children) child.kill();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is ok with the connect time when the port accepts connections', async () => {
    const outcome = await tcpCheck.run({ host: '127.0.0.1', port }, context());
    expect(outcome).toMatchObject({
      status: 'ok',
      metrics: { up: 1 },
      message: expect.stringMatching(new RegExp(`^127\\.0\\.0\\.1:${port} connected in \\d+\\.\\d ms$`)),
    });
    expect(outcome.metrics.connect_ms).toBeGreaterThan(0);
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
  });

  it('is warning or critical past the latency limits', async () => {
    expect(await tcpCheck.run({ host: '127.0.0.1', port, warningLatency: '0ms' }, context())).toMatchObject({
      status: 'warning',
      message: expect.stringMatching(/ \(warning >= 0 ms\)$/),
    });
    const critical = await tcpCheck.run(
      { host: '127.0.0.1', port, warningLatency: 0, criticalLatency: '0ms' },
      context(),
    );
    expect(critical.status).toBe('critical');
    expect((await tcpCheck.run({ host: '127.0.0.1', port, criticalLatency: '5s' }, context())).status).toBe(
      'ok',
    );
  });

  it('is critical when the port is closed', async () => {
    const closed = createServer();
    const closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    expect(await tcpCheck.run({ host: '127.0.0.1', port: closedPort }, context())).toEqual({
      status: 'critical',
      metrics: { up: 0 },
      message: `127.0.0.1:${closedPort} down: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    });
  });

  it('is critical when the port does not answer within connectTimeout', async () => {
    const silent = await silentPort(children, fillers);
    const t0 = performance.now();
    const outcome = await tcpCheck.run(
      { host: '127.0.0.1', port: silent, connectTimeout: '300ms' },
      context(),
    );
    expect(outcome).toEqual({
      status: 'critical',
      metrics: { up: 0 },
      message: `127.0.0.1:${silent} down: ETIMEDOUT: no answer within 300 ms`,
    });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(295);
  });

  it("is unknown when the check's own timeout fires first, or the name does not resolve", async () => {
    const silent = await silentPort(children, fillers);
    const outcome = await tcpCheck.run(
      { host: '127.0.0.1', port: silent },
      context(AbortSignal.timeout(200)),
    );
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: `no answer from 127.0.0.1:${silent} before the check's timeout`,
    });
    const dns = await tcpCheck.run({ host: 'vigie-no-such-host.invalid', port: 80 }, context());
    expect(dns).toMatchObject({
      status: 'unknown',
      message: expect.stringMatching(/^cannot resolve vigie-no-such-host\.invalid: (ENOTFOUND|EAI_AGAIN)/),
    });
  }, 30_000);

  it('is exported by name and by default, with a strict options schema', () => {
    expect(tcpDefault).toBe(tcpCheck);
    expect(tcpCheck.type).toBe('tcp');
    expect(Value.Check(TcpOptionsSchema, { host: 'db.internal', port: 5432, criticalLatency: '1s' })).toBe(
      true,
    );
    expect(Value.Check(TcpOptionsSchema, { host: 'db.internal', port: 70000 })).toBe(false);
    expect(Value.Check(TcpOptionsSchema, { host: 'db.internal' })).toBe(false);
  });
});
