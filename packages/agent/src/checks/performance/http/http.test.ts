import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBinary } from '../../../../../../test/support/packages.js';
import type { CheckContext } from '../../types.js';
import httpDefault, { httpCheck } from './index.js';
import { HttpOptionsSchema } from './options.js';
import { MAX_BODY_BYTES } from './probe.js';

const run = promisify(execFile);
const DAY_MS = 86_400_000;
const PAGE = 'vigie health: all systems nominal';

const context = (now = new Date(), signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => now,
  state: new Map(),
});

/** The test site: a health page, an error, a redirect, a slow page, a page that never answers, a big one. */
function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/error') res.writeHead(500).end('internal error');
  else if (req.url === '/moved') res.writeHead(302, { location: '/' }).end();
  else if (req.url === '/slow') setTimeout(() => res.end(PAGE), 300);
  else if (req.url === '/hang') return;
  else if (req.url === '/big') res.end(Buffer.alloc(3 * MAX_BODY_BYTES, 'x'));
  else res.end(PAGE);
}

const servers: Server[] = [];

async function listen(server: Server, scheme: 'http' | 'https'): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return `${scheme}://127.0.0.1:${port}`;
}

let folder: string;
let openssl: string;

async function sslRun(args: string[]): Promise<void> {
  await run(openssl, args);
}

/** A CA made by openssl, valid for `days`; returns its certificate and key paths. */
async function makeCa(name: string, days: number): Promise<{ cert: string; key: string }> {
  const cert = join(folder, `${name}.pem`);
  const key = join(folder, `${name}.key`);
  await sslRun(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      String(days),
      '-subj',
      `/CN=${name}`,
    ]),
  );
  return { cert, key };
}

/** A server certificate for 127.0.0.1 signed by `ca`, valid for `days`. */
async function makeLeaf(ca: { cert: string; key: string }, name: string, days: number) {
  const key = join(folder, `${name}.key`);
  const csr = join(folder, `${name}.csr`);
  const cert = join(folder, `${name}.pem`);
  const ext = join(folder, `${name}.ext`);
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1\n');
  await sslRun(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      `/CN=${name}`,
    ]),
  );
  await sslRun(
    ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'].concat([
      '-out',
      cert,
      '-days',
      String(days),
      '-extfile',
      ext,
    ]),
  );
  return { cert: await readFile(cert), key: await readFile(key) };
}

/** An https server on 127.0.0.1 presenting `leaf`. */
async function httpsSite(leaf: { cert: Buffer; key: Buffer }): Promise<string> {
  return listen(createHttpsServer(leaf, handle), 'https');
}

let site: string;
let ca: { cert: string; key: string };

beforeAll(async () => {
  openssl = await ensureBinary('openssl', 'openssl');
  folder = await mkdtemp(join(tmpdir(), 'vigie-http-'));
  ca = await makeCa('Vigie Test CA', 3650);
  site = await listen(createHttpServer(handle), 'http');
});
afterAll(async () => {
  for (const server of servers) server.closeAllConnections?.();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await rm(folder, { recursive: true, force: true });
});

describe('http check over plain HTTP', () => {
  it('is ok with the status, latency and size, and no certificate metric', async () => {
    const outcome = await httpCheck.run({ url: `${site}/` }, context());
    expect(outcome).toMatchObject({
      status: 'ok',
      metrics: { status_code: 200, body_bytes: PAGE.length },
      message: expect.stringMatching(/^HTTP 200 in \d+ ms, 33 B$/),
    });
    expect(outcome.metrics.latency_ms).toBeTypeOf('number');
    expect(outcome.metrics.tls_days_left).toBeUndefined();
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
  });

  it('is critical on an unexpected status; 3xx is fine by default and redirects are not followed', async () => {
    expect(await httpCheck.run({ url: `${site}/error` }, context())).toMatchObject({
      status: 'critical',
      metrics: { status_code: 500 },
      message: 'HTTP 500 (expected 2xx or 3xx)',
    });
    expect((await httpCheck.run({ url: `${site}/error`, expectStatus: 500 }, context())).status).toBe('ok');
    expect((await httpCheck.run({ url: `${site}/moved` }, context())).metrics.status_code).toBe(302);
    expect(await httpCheck.run({ url: `${site}/moved`, expectStatus: [200, 204] }, context())).toMatchObject({
      status: 'critical',
      message: 'HTTP 302 (expected 200 or 204)',
    });
  });

  it('matches the body without ever showing it', async () => {
    const found = await httpCheck.run({ url: site, bodyMatch: 'all systems (nominal|go)' }, context());
    expect(found.status).toBe('ok');
    const missing = await httpCheck.run({ url: site, bodyMatch: '"status":\\s*"up"' }, context());
    expect(missing).toMatchObject({ status: 'critical', message: 'body does not match /"status":\\s*"up"/' });
    expect(missing.message).not.toContain('nominal');
    const head = await httpCheck.run({ url: site, method: 'HEAD', bodyMatch: 'nominal' }, context());
    expect(head).toMatchObject({ status: 'critical', metrics: { body_bytes: 0 } });
  });

  it('reads at most 1 MiB of a large body', async () => {
    const outcome = await httpCheck.run({ url: `${site}/big`, bodyMatch: '^x+$' }, context());
    expect(outcome).toMatchObject({ status: 'ok', metrics: { body_bytes: MAX_BODY_BYTES } });
  });

  it('is warning, then critical, as the answer gets slower than the limits', async () => {
    const slow = `${site}/slow`;
    expect((await httpCheck.run({ url: slow, warningLatency: '1s' }, context())).status).toBe('ok');
    expect(await httpCheck.run({ url: slow, warningLatency: '100ms' }, context())).toMatchObject({
      status: 'warning',
      message: expect.stringMatching(/^answered in 3\d\d ms \(warning >= 100 ms\)$/),
    });
    const critical = await httpCheck.run(
      { url: slow, warningLatency: '100ms', criticalLatency: 0.2 },
      context(),
    );
    expect(critical.message).toMatch(/^answered in 3\d\d ms \(critical >= 200 ms\)$/);
  });

  it('is critical when the connection is refused', async () => {
    const closed = createHttpServer();
    const url = await listen(closed, 'http');
    await new Promise((resolve) => closed.close(resolve));
    expect(await httpCheck.run({ url }, context())).toEqual({
      status: 'critical',
      metrics: {},
      message: expect.stringMatching(/^down: ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:\d+$/),
    });
  });

  it('is unknown when the name does not resolve or the timeout fires first', async () => {
    // `.invalid` never resolves (RFC 6761); without a resolver the lookup fails too.
    const dns = await httpCheck.run({ url: 'http://vigie-no-such-host.invalid/' }, context());
    expect(dns).toMatchObject({
      status: 'unknown',
      message: expect.stringMatching(/^cannot resolve the host: (EAI_AGAIN|ENOTFOUND)/),
    });
    const hang = await httpCheck.run({ url: `${site}/hang` }, context(new Date(), AbortSignal.timeout(300)));
    expect(hang).toMatchObject({
      status: 'unknown',
      message: expect.stringMatching(/^no answer before the timeout/),
    });
  }, 30_000);

  it('is unknown for options it cannot use', async () => {
    expect((await httpCheck.run({ url: 'http://' }, context())).message).toMatch(
      /^invalid option: .*Invalid URL/,
    );
    expect((await httpCheck.run({ url: site, bodyMatch: '(' }, context())).message).toMatch(
      /^invalid option: Invalid regular expression/,
    );
    expect(await httpCheck.run({ url: site, caFile: join(folder, 'none.pem') }, context())).toMatchObject({
      status: 'unknown',
      message: expect.stringMatching(/^cannot read caFile .*none\.pem: ENOENT/),
    });
  });
});

describe('http check over HTTPS', () => {
  it('reports the days left on a certificate signed by the CA in caFile', async () => {
    const url = await httpsSite(await makeLeaf(ca, 'shop.vigie.test', 400));
    const outcome = await httpCheck.run({ url, caFile: ca.cert }, context());
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics.tls_days_left).toBeCloseTo(400, 0);
    expect(outcome.message).toMatch(
      /^HTTP 200 in \d+ ms, 33 B, certificate CN=shop\.vigie\.test expires in 40\d\.\d days$/,
    );
  });

  it('is warning, then critical, as the certificate nears its expiry, and critical once expired', async () => {
    const soon = await httpsSite(await makeLeaf(ca, 'soon.vigie.test', 20));
    expect(await httpCheck.run({ url: soon, caFile: ca.cert }, context())).toMatchObject({
      status: 'warning',
      message: expect.stringMatching(
        /^certificate CN=soon\.vigie\.test expires in 20\.0 days \(warning <= 30 days\)$/,
      ),
    });
    expect((await httpCheck.run({ url: soon, caFile: ca.cert, certWarningDays: 14 }, context())).status).toBe(
      'ok',
    );

    const imminent = await httpsSite(await makeLeaf(ca, 'imminent.vigie.test', 3));
    expect((await httpCheck.run({ url: imminent, caFile: ca.cert }, context())).message).toContain(
      '(critical <= 7 days)',
    );
    // Ten days on, by the check's clock: the server still presents it, the check sees it expired.
    const later = new Date(Date.now() + 10 * DAY_MS);
    const expired = await httpCheck.run({ url: imminent, caFile: ca.cert }, context(later));
    expect(expired).toMatchObject({
      status: 'critical',
      message: expect.stringMatching(/expired 7\.0 days ago/),
    });
    expect(expired.metrics.tls_days_left).toBeCloseTo(-7, 1);
  });

  it('takes the first certificate of the chain to expire, the CA included', async () => {
    const shortCa = await makeCa('Short Lived CA', 5);
    const url = await httpsSite(await makeLeaf(shortCa, 'long.vigie.test', 400));
    expect(await httpCheck.run({ url, caFile: shortCa.cert }, context())).toMatchObject({
      status: 'critical',
      message: expect.stringMatching(/^certificate CN=Short Lived CA expires in 5\.0 days/),
    });
  });

  it('is critical when the certificate is not trusted, unless insecure', async () => {
    const url = await httpsSite(await makeLeaf(ca, 'untrusted.vigie.test', 90));
    expect(await httpCheck.run({ url }, context())).toMatchObject({
      status: 'critical',
      message: expect.stringMatching(/^down: UNABLE_TO_VERIFY_LEAF_SIGNATURE/),
    });
    const insecure = await httpCheck.run({ url, insecure: true }, context());
    expect(insecure.status).toBe('ok');
    expect(insecure.metrics.tls_days_left).toBeCloseTo(90, 0);
  });
});

describe('http options', () => {
  it('is exported by name and by default, with a strict options schema', () => {
    expect(httpDefault).toBe(httpCheck);
    expect(httpCheck.type).toBe('http');
    const valid = { url: 'https://shop.example/health', expectStatus: [200, 204], warningLatency: '500ms' };
    expect(Value.Check(HttpOptionsSchema, valid)).toBe(true);
    expect(Value.Check(HttpOptionsSchema, { url: 'ftp://example' })).toBe(false);
    expect(Value.Check(HttpOptionsSchema, { url: 'https://x', method: 'TRACE' })).toBe(false);
    expect(Value.Check(HttpOptionsSchema, { url: 'https://x', timeout: '5s' })).toBe(false);
  });
});
