import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureBinary, isRoot } from '../../../../../../test/support/packages.js';
import { waitFor } from '../../../../../../test/support/wait.js';
import type { CheckContext } from '../../types.js';
import { ratesByInstance } from '../counters.js';
import networkDefault, { createNetworkCheck, networkCheck } from './index.js';
import { parseNetDev, selectInterfaces } from './netdev.js';
import { NetworkOptionsSchema } from './options.js';
import { interfaceRates, judgeInterfaces } from './verdict.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
// This VM's /proc/net/dev before and after an `apt-get update`.
const before = parseNetDev(testdata('net-dev-1.txt'));
const after = parseNetDev(testdata('net-dev-2.txt'));
// A network namespace with a VXLAN whose remote has no route (ping through it fails: tx errors) and a TAP
// device nobody reads (tx drops), before and after pinging through both.
const faultyBefore = parseNetDev(testdata('net-dev-vxlan-tap-1.txt'));
const faultyAfter = parseNetDev(testdata('net-dev-vxlan-tap-2.txt'));
const limits = { warning: 1, critical: 100 };
const defaults = { interfaces: undefined, excludeInterfaces: ['lo'] };

/** A context whose clock moves by `stepMs` at each run. */
function steppingContext(stepMs: number, signal = new AbortController().signal): CheckContext {
  let now = Date.UTC(2026, 0, 1);
  return {
    signal,
    now: () => {
      now += stepMs;
      return new Date(now);
    },
    state: new Map(),
  };
}

describe('reading /proc/net/dev', () => {
  it('reads the byte, error and drop counters of every interface', () => {
    expect(Object.keys(before)).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    expect(before.eth0).toEqual({
      rxBytes: 579970187,
      rxErrors: 0,
      rxDropped: 0,
      txBytes: 1292979,
      txErrors: 0,
      txDropped: 0,
    });
    expect(faultyAfter.vx0?.txErrors).toBe(9);
    expect(faultyAfter.tap0?.txDropped).toBe(2);
  });

  it('leaves out lo by default, and takes exactly the listed interfaces when asked', () => {
    expect(Object.keys(selectInterfaces(before, defaults).selected)).toEqual(['ifb0', 'ifb1', 'eth0']);
    const listed = selectInterfaces(before, {
      interfaces: ['lo', 'eth0', 'wlan0'],
      excludeInterfaces: ['lo'],
    });
    expect(Object.keys(listed.selected)).toEqual(['lo', 'eth0']);
    expect(listed.missing).toEqual(['wlan0']);
  });

  it('refuses text that is not a net/dev file', () => {
    expect(() => parseNetDev('eth0: 1 2 3\n')).toThrow(/line 1/);
  });
});

describe('judging interfaces between two readings', () => {
  const rates = (older: typeof before, newer: typeof before) =>
    ratesByInstance({ atMs: 0, values: older }, { atMs: 2000, values: newer }, interfaceRates);

  it('gives traffic per second and is ok without errors', () => {
    const current = selectInterfaces(after, defaults).selected;
    const outcome = judgeInterfaces(
      current,
      rates(selectInterfaces(before, defaults).selected, current),
      [],
      limits,
    );
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics).toMatchObject({
      'rx_bytes_per_second@eth0': (580213130 - 579970187) / 2,
      'tx_bytes_per_second@eth0': (1295244 - 1292979) / 2,
      'rx_errors@eth0': 0,
      'tx_dropped@eth0': 0,
      'rx_bytes_total@eth0': 580213130,
    });
    expect(outcome.message).toBe('3 interface(s) ok, busiest eth0 rx 118.6 KiB/s, tx 1.1 KiB/s');
  });

  it('is warning on any new error, critical from errorsCritical; drops alone are reported only', () => {
    const outcome = judgeInterfaces(faultyAfter, rates(faultyBefore, faultyAfter), [], limits);
    expect(outcome).toMatchObject({
      status: 'warning',
      message: 'vx0 8 new error(s), 0 drop(s) since the previous run (warning >= 1)',
      metrics: { 'tx_errors@vx0': 8, 'tx_dropped@tap0': 2, 'tx_errors_total@vx0': 9 },
    });
    const critical = judgeInterfaces(faultyAfter, rates(faultyBefore, faultyAfter), [], {
      warning: 1,
      critical: 8,
    });
    expect(critical.status).toBe('critical');
  });

  it('takes a baseline first, and is unknown for a listed interface that does not exist', () => {
    expect(judgeInterfaces(before, new Map(), [], limits)).toMatchObject({
      status: 'ok',
      message: 'baseline taken for 4 interface(s)',
    });
    const missing = judgeInterfaces(after, rates(before, after), ['wlan0'], limits);
    expect(missing).toMatchObject({ status: 'unknown', message: 'interface wlan0 does not exist' });
  });
});

/** A shell in its own network namespace with a broken VXLAN: it pings through it when told to. */
function faultyNamespace(unshare: string, ip: string, ping: string): ChildProcessWithoutNullStreams {
  const script = [
    'set -e',
    '"$IP" link set lo up',
    '"$IP" link add vx0 type vxlan id 5 remote 10.99.0.2 dstport 4789',
    '"$IP" addr add 10.66.0.1/24 dev vx0',
    '"$IP" link set vx0 up',
    'echo ready',
    'read -r _',
    '"$PING" -c 3 -i 0.2 -W 1 10.66.0.9 >/dev/null 2>&1 || true',
    'echo pinged',
    'read -r _',
  ].join('\n');
  // Root creates a plain network namespace; another user needs a user namespace to own one.
  const unshareArgs = isRoot() ? ['--net'] : ['--map-root-user', '--net'];
  return spawn(unshare, [...unshareArgs, 'sh', '-c', script], {
    env: { ...process.env, IP: ip, PING: ping },
  });
}

describe('network check on this machine', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill();
  });

  it('is exported by name and by default, with a strict options schema', () => {
    expect(networkDefault).toBe(networkCheck);
    expect(networkCheck.type).toBe('network');
    expect(Value.Check(NetworkOptionsSchema, { interfaces: ['eth0'], errorsCritical: 10 })).toBe(true);
    expect(Value.Check(NetworkOptionsSchema, { interfaces: ['eth0:1'] })).toBe(false);
    expect(Value.Check(NetworkOptionsSchema, { errorsWarning: 0 })).toBe(false);
  });

  it('sees real traffic on lo when asked to watch it', async () => {
    const ctx = steppingContext(1000);
    expect((await networkCheck.run({ interfaces: ['lo'] }, ctx)).message).toBe(
      'baseline taken for 1 interface(s)',
    );
    await sendOverLoopback(2 * 1024 * 1024);
    const outcome = await networkCheck.run({ interfaces: ['lo'] }, ctx);
    expect(outcome.status).toBe('ok');
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
    // lo counts every byte once received and once sent; the step is one second.
    expect(outcome.metrics['rx_bytes_per_second@lo']).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    expect(outcome.message).toMatch(/^1 interface\(s\) ok, busiest lo rx \d+\.\d MiB\/s/);
  });

  it('warns when an interface of a real namespace starts failing, then is ok again', async () => {
    const ip = await ensureBinary('ip', 'iproute2');
    const ping = await ensureBinary('ping', 'iputils-ping');
    const unshare = await ensureBinary('unshare', 'util-linux');
    const child = faultyNamespace(unshare, ip, ping);
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor(`the namespace to be ready (${output})`, () => output.includes('ready'));
    const check = createNetworkCheck(`/proc/${child.pid}/net/dev`);
    const ctx = steppingContext(1000);
    expect((await check.run({}, ctx)).message).toBe('baseline taken for 1 interface(s)');

    child.stdin.write('go\n');
    await waitFor('the pings', () => output.includes('pinged'));
    const failing = await check.run({}, ctx);
    expect(failing.status).toBe('warning');
    expect(failing.message).toMatch(
      /^vx0 \d+ new error\(s\), 0 drop\(s\) since the previous run \(warning >= 1\)$/,
    );
    expect(failing.metrics['tx_errors@vx0']).toBeGreaterThan(0);
    expect((await check.run({}, ctx)).status).toBe('ok');
  });

  it('is unknown when the counters cannot be read, or nothing is left to watch', async () => {
    const gone = await createNetworkCheck('/proc/999999999/net/dev').run({}, steppingContext(1000));
    expect(gone).toEqual({
      status: 'unknown',
      metrics: {},
      message: expect.stringMatching(/^cannot read \/proc\/999999999\/net\/dev: ENOENT/),
    });
    expect((await networkCheck.run({ interfaces: [] }, steppingContext(1000))).status).toBe('unknown');
  });

  it('is unknown once its timeout has fired', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const outcome = await networkCheck.run({}, steppingContext(1000, aborted.signal));
    expect(outcome).toEqual({ status: 'unknown', metrics: {}, message: expect.stringMatching(/timed out/) });
  });
});

/** Sends `bytes` through a real TCP connection on 127.0.0.1. */
async function sendOverLoopback(bytes: number): Promise<void> {
  const server = createServer();
  let received = 0;
  const done = new Promise<void>((resolve) => {
    server.on('connection', (socket) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= bytes) resolve();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const client = connect(port, '127.0.0.1');
  client.end(Buffer.alloc(bytes));
  await done;
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
}
