import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import { isAllowed, parseAllowEntry } from './allow.js';
import listeningDefault, { listeningPortsCheck, readListeningSockets } from './index.js';
import { ListeningPortsOptionsSchema } from './options.js';
import { socketOwners } from './owners.js';
import { decodeAddress, isLoopback, type ListeningSocket, parseProcNet, socketLabel } from './procnet.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const labels = (sockets: readonly ListeningSocket[]) => sockets.map(socketLabel);
const signal = () => new AbortController().signal;
const context = (): CheckContext => ({ signal: signal(), now: () => new Date(), state: new Map() });

/**
 * Captured in a fresh network namespace where a Node script listened on 0.0.0.0:8080, [::]:443 (dual stack),
 * [::]:8443 (IPv6 only), 127.0.0.1:5432, [::1]:6379, [::ffff:127.0.0.1]:9000 (TCP), 0.0.0.0:53, [::]:5353,
 * 127.0.0.1:323 (UDP), with a connected UDP client and an established TCP connection, which are not listeners.
 */
const netns = (table: string, protocol: 'tcp' | 'udp') =>
  parseProcNet(testdata(`netns-proc-net-${table}.txt`), protocol);

describe('parseProcNet', () => {
  it('finds the listeners of a real namespace and leaves out connections', () => {
    expect(labels(netns('tcp', 'tcp'))).toEqual(['127.0.0.1:5432/tcp', '0.0.0.0:8080/tcp']);
    expect(labels(netns('tcp6', 'tcp'))).toEqual([
      '[::1]:6379/tcp',
      '[::]:8443/tcp',
      '[::]:443/tcp',
      '[::ffff:127.0.0.1]:9000/tcp',
    ]);
    expect(labels(netns('udp', 'udp'))).toEqual(['0.0.0.0:53/udp', '127.0.0.1:323/udp']);
    expect(labels(netns('udp6', 'udp'))).toEqual(['[::]:5353/udp']);
    expect(netns('tcp', 'tcp')[1]?.inode).toBe('90760');
  });

  it("reads the host's real tables", () => {
    const tcp = parseProcNet(testdata('host-proc-net-tcp.txt'), 'tcp');
    expect(labels(tcp)).toContain('0.0.0.0:2024/tcp');
    expect(labels(tcp)).toContain('127.0.0.1:5432/tcp');
    expect(tcp.filter((s) => !isLoopback(s.address)).map(socketLabel)).toEqual(['0.0.0.0:2024/tcp']);
    expect(labels(parseProcNet(testdata('host-proc-net-tcp6.txt'), 'tcp'))).toEqual([
      '[::1]:4369/tcp',
      '[::1]:6379/tcp',
    ]);
    expect(parseProcNet(testdata('host-proc-net-udp.txt'), 'udp')).toEqual([]);
  });

  it('decodes addresses in both byte orders', () => {
    expect(decodeAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeAddress('7F000001', 'BE')).toBe('127.0.0.1');
    expect(decodeAddress('B80D0120000000000000000001000000')).toBe('2001:db8::1');
    expect(decodeAddress('zz')).toBeUndefined();
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('::')).toBe(false);
  });
});

describe('allow entries', () => {
  const sockets = [...netns('tcp', 'tcp'), ...netns('tcp6', 'tcp'), ...netns('udp', 'udp')];
  const allowedBy = (entry: string) => labels(sockets.filter((s) => isAllowed(s, [parseAllowEntry(entry)])));

  it('matches any address, the wildcard address only, or one address', () => {
    expect(allowedBy('443/tcp')).toEqual(['[::]:443/tcp']);
    expect(allowedBy('53/tcp')).toEqual([]);
    expect(allowedBy('53/udp')).toEqual(['0.0.0.0:53/udp']);
    expect(allowedBy('*:8080/tcp')).toEqual(['0.0.0.0:8080/tcp']);
    expect(allowedBy('*:5432/tcp')).toEqual([]);
    expect(allowedBy('127.0.0.1:5432/tcp')).toEqual(['127.0.0.1:5432/tcp']);
    expect(allowedBy('[::1]:6379/tcp')).toEqual(['[::1]:6379/tcp']);
    // An IPv4-mapped address is that IPv4 address.
    expect(allowedBy('127.0.0.1:9000/tcp')).toEqual(['[::ffff:127.0.0.1]:9000/tcp']);
  });

  it('refuses what is not an entry', () => {
    expect(() => parseAllowEntry('ssh')).toThrow('"ssh" is not an allow entry');
    expect(Value.Check(ListeningPortsOptionsSchema, { allow: ['22/tcp', '*:80/tcp', '[::1]:53/udp'] })).toBe(
      true,
    );
    expect(Value.Check(ListeningPortsOptionsSchema, { allow: ['22'] })).toBe(false);
    expect(Value.Check(ListeningPortsOptionsSchema, { allowed: [] })).toBe(false);
  });
});

describe('listening-ports check with real sockets', () => {
  let loopback: Server;
  let anyAddress: Server;
  let udp: UdpSocket;
  const port = (server: Server) => (server.address() as AddressInfo).port;
  const ownName = readFileSync(`/proc/${process.pid}/comm`, 'utf8').trim();

  /** Our three sockets as the check labels them (other tests may listen on the same port numbers). */
  const ourLabels = () => [
    `127.0.0.1:${port(loopback)}/tcp`,
    `0.0.0.0:${port(anyAddress)}/tcp`,
    `0.0.0.0:${udp.address().port}/udp`,
  ];

  /** The host's other listeners at this moment, allowed, so that only ours can be unexpected. */
  async function othersAllowed(): Promise<string[]> {
    const ours = new Set(ourLabels());
    return labels(await readListeningSockets(signal())).filter((label) => !ours.has(label));
  }

  beforeAll(async () => {
    const listen = (host: string) =>
      new Promise<Server>((resolve) => {
        const server = createServer();
        server.listen(0, host, () => resolve(server));
      });
    loopback = await listen('127.0.0.1');
    anyAddress = await listen('0.0.0.0');
    udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '0.0.0.0', resolve));
  });
  afterAll(async () => {
    await Promise.all([loopback, anyAddress].map((s) => new Promise((resolve) => s.close(resolve))));
    await new Promise<void>((resolve) => udp.close(resolve));
  });

  it('sees our listeners in the kernel tables and names their process', async () => {
    const sockets = await readListeningSockets(signal());
    const ours = sockets.filter((s) => ourLabels().includes(socketLabel(s)));
    expect(labels(ours).sort()).toEqual(ourLabels().sort());
    const owners = await socketOwners(new Set(ours.map((s) => s.inode)), signal());
    expect([...owners.values()]).toEqual([ownName, ownName, ownName]);
  });

  it('reports the 0.0.0.0 listeners as unexpected, and not the loopback one by default', async () => {
    const outcome = await listeningPortsCheck.run({ allow: await othersAllowed() }, context());
    expect(outcome.status).toBe('warning');
    expect(outcome.metrics.unexpected).toBeGreaterThanOrEqual(2);
    expect(outcome.message).toContain(`0.0.0.0:${port(anyAddress)}/tcp (${ownName})`);
    expect(outcome.message).toContain(`0.0.0.0:${udp.address().port}/udp (${ownName})`);
    expect(outcome.message).not.toContain(`:${port(loopback)}/tcp`);
    expect(outcome.message).toMatch(/^\d+ unexpected of \d+ listening socket\(s\): /);
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
  });

  it('reports the loopback listener when ignoreLoopback is false, at the chosen severity', async () => {
    const outcome = await listeningPortsCheck.run(
      {
        allow: [...(await othersAllowed()), `*:${port(anyAddress)}/tcp`, `${udp.address().port}/udp`],
        ignoreLoopback: false,
        severity: 'critical',
      },
      context(),
    );
    expect(outcome.status).toBe('critical');
    expect(outcome.message).toContain(`127.0.0.1:${port(loopback)}/tcp (${ownName})`);
    expect(outcome.message).not.toContain(`0.0.0.0:${port(anyAddress)}/tcp`);
  });

  it('is ok once every listener is allowed', async () => {
    const allow = [...(await othersAllowed()), `${port(anyAddress)}/tcp`, `*:${udp.address().port}/udp`];
    const outcome = await listeningPortsCheck.run({ allow }, context());
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics.unexpected).toBe(0);
    expect(outcome.message).toMatch(/^\d+ listening socket\(s\), all allowed$/);
  });

  it('is exported by name and by default', () => {
    expect(listeningDefault).toBe(listeningPortsCheck);
    expect(listeningPortsCheck.type).toBe('listening-ports');
    expect(listeningPortsCheck.category).toBe('security');
  });

  it('takes a missing table as empty and fails on an unreadable one', async () => {
    await expect(readListeningSockets(signal(), '/proc/self/fdinfo/none')).resolves.toEqual([]);
    await expect(readListeningSockets(signal(), '/etc/passwd')).rejects.toThrow(/ENOTDIR/);
  });
});
