import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, createServer, type Server } from 'node:tls';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckContext } from '../../types.js';
import { defaultServername } from './handshake.js';
import tlsEndpointDefault, { tlsEndpointCheck } from './index.js';
import { TlsEndpointOptionsSchema } from './options.js';

const run = promisify(execFile);
const DAY_MS = 86_400_000;
const context = (now = new Date(), signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => now,
  state: new Map(),
});

let folder: string;
const servers: (Server | TcpServer)[] = [];
/** Every server-side connection, destroyed at the end so that closing the servers does not wait for them. */
const connections = new Set<Socket>();
function track<S extends Server | TcpServer>(server: S): S {
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  servers.push(server);
  return server;
}
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A real self-signed certificate made by openssl for `name` (DNS name and 127.0.0.1), valid `days`. */
async function selfSigned(name: string, days: number): Promise<{ cert: string; key: string }> {
  const cert = join(folder, `${name}.pem`);
  const key = join(folder, `${name}.key`);
  await run('openssl', [
    ...['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-days', String(days)],
    ...['-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name},IP:127.0.0.1`],
  ]);
  return { cert, key };
}

/** A leaf signed by `ca`, valid `days`. */
async function signedBy(ca: { cert: string; key: string }, name: string, days: number) {
  const key = join(folder, `${name}.key`);
  const csr = join(folder, `${name}.csr`);
  const cert = join(folder, `${name}.pem`);
  const ext = join(folder, `${name}.ext`);
  await run('openssl', ['req', '-new', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  await run('sh', ['-c', `printf 'subjectAltName=DNS:${name}\\n' > ${ext}`]);
  await run('openssl', [
    ...['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'],
    ...['-out', cert, '-days', String(days), '-extfile', ext],
  ]);
  return { cert, key };
}

/** A real TLS server on 127.0.0.1, on a free port; `sni` maps server names to other certificates. */
async function serve(
  pair: { cert: string; key: string },
  sni: Record<string, { cert: string; key: string }> = {},
): Promise<number> {
  const contexts = new Map<string, ReturnType<typeof createSecureContext>>();
  for (const [name, other] of Object.entries(sni)) {
    contexts.set(
      name,
      createSecureContext({ cert: await readFile(other.cert), key: await readFile(other.key) }),
    );
  }
  const server = track(
    createServer(
      {
        cert: await readFile(pair.cert),
        key: await readFile(pair.key),
        SNICallback: (name, done) => done(null, contexts.get(name)),
      },
      (socket) => socket.end(),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'vigie-tls-endpoint-'));
});
afterAll(async () => {
  for (const socket of connections) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await rm(folder, { recursive: true, force: true });
});

describe('tls-certificate-endpoint check against real local TLS servers', () => {
  it('reads a self-signed certificate and reports its chain invalid (critical by default)', async () => {
    const pair = await selfSigned('localhost', 400);
    const port = await serve(pair);
    const outcome = await tlsEndpointCheck.run({ host: 'localhost', port }, context());
    expect(outcome.status).toBe('critical');
    expect(outcome.metrics.chain_valid).toBe(0);
    expect(outcome.metrics.days_left).toBeCloseTo(400, 0);
    expect(outcome.message).toMatch(
      new RegExp(
        `^localhost:${port}: CN=localhost expires in 400\\.0 days \\(.*Z\\); chain invalid: DEPTH_ZERO_SELF_SIGNED_CERT$`,
      ),
    );
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);

    const reportOnly = await tlsEndpointCheck.run(
      { host: 'localhost', port, rejectUnauthorized: false },
      context(),
    );
    expect(reportOnly).toMatchObject({ status: 'ok', metrics: { chain_valid: 0 } });
  });

  it('trusts the certificate given as caFile, and judges the expiry', async () => {
    const pair = await selfSigned('localhost', 20);
    const port = await serve(pair);
    const outcome = await tlsEndpointCheck.run({ host: '127.0.0.1', port, caFile: pair.cert }, context());
    expect(outcome.status).toBe('warning');
    expect(outcome.metrics.chain_valid).toBe(1);
    expect(outcome.message).toMatch(
      /^127\.0\.0\.1:\d+: CN=localhost expires in 20\.0 days \(.*Z\) \(warning <= 30 days\)$/,
    );
    expect(
      (await tlsEndpointCheck.run({ host: '127.0.0.1', port, caFile: pair.cert, warningDays: 10 }, context()))
        .status,
    ).toBe('ok');
  });

  it('is critical near expiry of a leaf signed by a private CA', async () => {
    const ca = await selfSigned('Vigie Test CA', 3650);
    const leaf = await signedBy(ca, 'shop.example.test', 5);
    const port = await serve(leaf);
    const outcome = await tlsEndpointCheck.run(
      { host: '127.0.0.1', port, servername: 'shop.example.test', caFile: ca.cert },
      context(),
    );
    expect(outcome).toMatchObject({ status: 'critical', metrics: { chain_valid: 1 } });
    expect(outcome.message).toContain('CN=shop.example.test expires in 5.0 days');
    expect(outcome.message).toContain('(critical <= 7 days)');

    const expired = await tlsEndpointCheck.run(
      { host: '127.0.0.1', port, servername: 'shop.example.test', caFile: ca.cert },
      context(new Date(Date.now() + 10 * DAY_MS)),
    );
    expect(expired.status).toBe('critical');
    expect(expired.metrics.days_left).toBeCloseTo(-5, 1);
    expect(expired.message).toContain('expired 5.0 days ago');
  });

  it('sends the servername (SNI) and checks the certificate names it', async () => {
    const ca = await selfSigned('Vigie SNI CA', 3650);
    const fallback = await signedBy(ca, 'default.example.test', 300);
    const shop = await signedBy(ca, 'shop.example.test', 100);
    const port = await serve(fallback, { 'shop.example.test': shop });
    const asked = await tlsEndpointCheck.run(
      { host: '127.0.0.1', port, servername: 'shop.example.test', caFile: ca.cert },
      context(),
    );
    expect(asked.status).toBe('ok');
    expect(asked.message).toContain('CN=shop.example.test expires in 100.0 days');

    const mismatch = await tlsEndpointCheck.run(
      { host: '127.0.0.1', port, servername: 'other.example.test', caFile: ca.cert },
      context(),
    );
    expect(mismatch).toMatchObject({ status: 'critical', metrics: { chain_valid: 0 } });
    expect(mismatch.message).toContain('CN=default.example.test expires in 300.0 days');
    expect(mismatch.message).toMatch(/chain invalid: ERR_TLS_CERT_ALTNAME_INVALID$/);
  });

  it('is unknown when nothing listens, or nothing answers before the timeout', async () => {
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await tlsEndpointCheck.run({ host: '127.0.0.1', port }, context());
    expect(refused).toEqual({
      status: 'unknown',
      metrics: {},
      message: expect.stringMatching(
        new RegExp(`^127\\.0\\.0\\.1:${port}: TLS handshake failed: ECONNREFUSED`),
      ),
    });

    // Accepts TCP, never speaks TLS (and never reads: its socket stays open until afterAll destroys it).
    const silent = track(createTcpServer(() => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const timeout = AbortSignal.timeout(300);
    const hung = await tlsEndpointCheck.run(
      { host: '127.0.0.1', port: (silent.address() as AddressInfo).port },
      context(new Date(), timeout),
    );
    expect(hung.status).toBe('unknown');
    expect(hung.message).toMatch(/TLS handshake failed: .*(timed out|aborted)/i);
  });

  it('is unknown when caFile cannot be read', async () => {
    const outcome = await tlsEndpointCheck.run(
      { host: '127.0.0.1', caFile: join(folder, 'missing.pem') },
      context(),
    );
    expect(outcome.message).toMatch(/^cannot read caFile .*missing\.pem: ENOENT/);
  });

  it('sends no SNI for an IP address, and is exported by name and by default', () => {
    expect(defaultServername('127.0.0.1')).toBeUndefined();
    expect(defaultServername('::1')).toBeUndefined();
    expect(defaultServername('shop.example.org')).toBe('shop.example.org');
    expect(tlsEndpointDefault).toBe(tlsEndpointCheck);
    expect(tlsEndpointCheck.type).toBe('tls-certificate-endpoint');
    expect(Value.Check(TlsEndpointOptionsSchema, { host: 'shop.example.org', port: 8443 })).toBe(true);
    expect(Value.Check(TlsEndpointOptionsSchema, { port: 443 })).toBe(false);
    expect(Value.Check(TlsEndpointOptionsSchema, { host: 'a', caFile: 'ca.pem' })).toBe(false);
  });
});
