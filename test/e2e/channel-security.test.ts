// The agent channel's security, over real sockets and with the real agent CLI: enrollment (once, before it
// expires, for the right host), credentials stored 0600, revocation that disconnects at once, wss:// with a
// custom CA, mutual TLS, and the per-agent rate limit.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CollectorClient, MemoryOutbox } from '@vigie/agent';
import {
  addTenant,
  buildCollector,
  type Collector,
  type CollectorConfigInput,
  createApiKey,
  createEnrollment,
  loadCollectorConfig,
  redeemEnrollment,
  revokeAgentToken,
} from '@vigie/collector';
import { createIdGenerator, type Result } from '@vigie/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CLI } from '../support/process.js';
import { waitFor } from '../support/wait.js';

const exec = promisify(execFile);
const log = pino({ level: process.env.VIGIE_TEST_LOG ?? 'silent' });
const newId = createIdGenerator();
const collectors: Collector[] = [];
afterAll(async () => {
  for (const c of collectors) await c.close();
});

function result(): Result {
  return {
    id: newId(),
    checkId: 'fs',
    type: 'filesystem',
    category: 'performance',
    status: 'ok',
    metrics: { 'used_percent@/': 1 },
    message: '',
    observedAt: new Date().toISOString(),
    durationMs: 1,
  };
}

async function collector(overrides: Partial<CollectorConfigInput> = {}) {
  const c = await buildCollector(
    loadCollectorConfig(undefined, {
      dataDir: mkdtempSync(join(tmpdir(), 'vigie-sec-')),
      listen: { host: '127.0.0.1', port: 0 },
      ...overrides,
    }),
    { log },
  );
  collectors.push(c);
  const base = await c.listen();
  const now = new Date();
  await addTenant(c.store.db, 'acme', 'ACME', now);
  await addTenant(c.store.db, 'globex', 'Globex', now);
  const apiKey = (await createApiKey(c.store.db, { id: newId(), tenantId: null, name: 't', now })).key;
  return { c, base, ws: `${base.replace(/^http/, 'ws')}/ingest`, apiKey };
}

async function agentCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [AGENT_CLI, ...args], { timeout: 30_000 });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function client(
  url: string,
  token: string,
  host: string,
  tls?: { ca?: string; cert?: string; key?: string },
) {
  const outbox = new MemoryOutbox(1000);
  const c = new CollectorClient(
    {
      url,
      token,
      tls,
      agent: { host, environment: 'production', application: 'shop', version: 't' },
      batchSize: 50,
      reconnectMinMs: 100,
      reconnectMaxMs: 300,
      heartbeatMs: 5000,
    },
    outbox,
    log,
  );
  return { c, outbox };
}

describe('enrollment', () => {
  it('exchanges a one-time token for a 0600 credential bound to the host, once, and not after it expires', async () => {
    const { c, base } = await collector();
    const dir = mkdtempSync(join(tmpdir(), 'vigie-enroll-'));
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `collector: { url: "${base.replace('http', 'ws')}/ingest", tokenFile: agent.token }
host: { name: shop-db-01, environment: production, application: shop }
checks: [{ id: fs, type: filesystem, schedule: "* * * * *" }]
`,
    );
    const e = await createEnrollment(c.store.db, {
      id: newId(),
      tenantId: 'acme',
      ttlMs: 60_000,
      now: new Date(),
    });
    const ok = await agentCli(['enroll', '--config', config, '--token', e.token]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('enrolled as host shop-db-01 of tenant acme');
    const file = join(dir, 'agent.token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The collector keeps only a hash: the credential is nowhere in its store.
    const rows = await c.store.db.selectFrom('agent_tokens').selectAll().execute();
    const token = readFileSync(file, 'utf8').trim();
    expect(JSON.stringify(rows)).not.toContain(token);

    const again = await agentCli(['enroll', '--config', config, '--token', e.token]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/HTTP 410 enrollment_used.*already used/);

    const expired = await createEnrollment(c.store.db, {
      id: newId(),
      tenantId: 'acme',
      ttlMs: 1,
      now: new Date(Date.now() - 1000),
    });
    const late = await agentCli([
      'enroll',
      '--config',
      config,
      '--token',
      expired.token,
      '--out',
      join(dir, 'x'),
    ]);
    expect(late.stderr).toMatch(/HTTP 410 enrollment_expired.*expired at/);

    const wrongHost = await createEnrollment(c.store.db, {
      id: newId(),
      tenantId: 'acme',
      host: 'web-02',
      ttlMs: 60_000,
      now: new Date(),
    });
    const mismatch = await agentCli([
      'enroll',
      '--config',
      config,
      '--token',
      wrongHost.token,
      '--out',
      join(dir, 'y'),
    ]);
    expect(mismatch.stderr).toMatch(/HTTP 403 host_mismatch.*is for host "web-02", not "shop-db-01"/);

    const bogus = await agentCli([
      'enroll',
      '--config',
      config,
      '--token',
      'vge_made-up-token',
      '--out',
      join(dir, 'z'),
    ]);
    expect(bogus.stderr).toMatch(/HTTP 401 unknown_enrollment/);

    // The enrolled credential works, for its own host only.
    const good = client(`${base.replace('http', 'ws')}/ingest`, token, 'shop-db-01');
    good.c.start();
    good.outbox.push({ kind: 'result', result: result() });
    await waitFor('delivery with the enrolled credential', () => good.outbox.size() === 0);
    await good.c.stop();
    const other = client(`${base.replace('http', 'ws')}/ingest`, token, 'globex-db');
    other.c.start();
    await waitFor('the other host to be refused', () => other.c.stats.errorsReceived > 0);
    expect(other.c.isReady()).toBe(false);
    await other.c.stop();
  });

  it('creates enrollment tokens through the API, scoped by the API key', async () => {
    const { c, base, apiKey } = await collector();
    const post = (key: string, body: unknown) =>
      fetch(`${base}/api/enrollments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const r = await post(apiKey, { tenant: 'acme', host: 'web-01', ttl: '1h' });
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ tenant: 'acme', token: expect.stringMatching(/^vge_/) });
    const clientKey = (
      await createApiKey(c.store.db, { id: newId(), tenantId: 'globex', name: 'g', now: new Date() })
    ).key;
    const forbidden = await post(clientKey, { tenant: 'acme' });
    expect(forbidden.status).toBe(403);
    expect((await post(clientKey, {})).status).toBe(201);
    expect((await post(apiKey, {})).status).toBe(400);
  });
});

describe('revocation', () => {
  it('disconnects a revoked agent at once (API) and within the check interval (CLI), and refuses it after', async () => {
    const { c, base, ws, apiKey } = await collector({ ingest: { revocationCheck: '300ms' } });
    const e1 = await createEnrollment(c.store.db, {
      id: newId(),
      tenantId: 'acme',
      ttlMs: 60_000,
      now: new Date(),
    });
    const enrolled = (await (
      await fetch(`${base}/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: e1.token, host: 'web-01' }),
      })
    ).json()) as { token: string; tokenId: string };
    const a = client(ws, enrolled.token, 'web-01');
    a.c.start();
    await waitFor('connected', () => a.c.isReady());
    const agents = (await (
      await fetch(`${base}/api/agents`, { headers: { authorization: `Bearer ${apiKey}` } })
    ).json()) as Array<{ id: string; host: string }>;
    const id = agents.find((x) => x.host === 'web-01')?.id as string;
    const t0 = Date.now();
    const res = await fetch(`${base}/api/agents/${id}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(await res.json()).toEqual({ revoked: true, disconnected: 1 });
    await waitFor('the revoked agent to be disconnected', () => !a.c.isReady(), {
      timeoutMs: 2000,
      intervalMs: 20,
    });
    expect(Date.now() - t0).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 500));
    expect(a.c.isReady()).toBe(false); // its reconnects are refused (403)
    await a.c.stop();

    // Revoked from another process (the CLI writes the store): the periodic check disconnects it.
    const e2 = await createEnrollment(c.store.db, {
      id: newId(),
      tenantId: 'acme',
      ttlMs: 60_000,
      now: new Date(),
    });
    const second = (await (
      await fetch(`${base}/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: e2.token, host: 'web-02' }),
      })
    ).json()) as { token: string; tokenId: string };
    const b = client(ws, second.token, 'web-02');
    b.c.start();
    await waitFor('connected', () => b.c.isReady());
    await revokeAgentToken(c.store.db, second.tokenId, new Date());
    await waitFor('the periodic check to disconnect it', () => !b.c.isReady(), {
      timeoutMs: 3000,
      intervalMs: 20,
    });
    await b.c.stop();
  });
});

describe('TLS', () => {
  let pki: Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey' | 'otherCa', string>;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-pki-'));
    const sh = (cmd: string) => exec('sh', ['-c', cmd], { cwd: dir });
    await sh(
      'openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=vigie-test-ca 2>/dev/null',
    );
    await sh(
      'openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 -subj /CN=other-ca 2>/dev/null',
    );
    await sh(
      'openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null && ' +
        'printf "subjectAltName=IP:127.0.0.1" > san.ext && ' +
        'openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null',
    );
    await sh(
      'openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=web-01 2>/dev/null && ' +
        'openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 2>/dev/null',
    );
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    pki = {
      ca: join(dir, 'ca.pem'),
      serverCert: join(dir, 'server.pem'),
      serverKey: join(dir, 'server.key'),
      clientCert: read('client.pem'),
      clientKey: read('client.key'),
      otherCa: read('other.pem'),
    };
  });

  async function enrolledToken(c: Collector, base: string, host: string, ca: string): Promise<string> {
    const e = await createEnrollment(c.store.db, {
      id: newId(),
      tenantId: 'acme',
      ttlMs: 60_000,
      now: new Date(),
    });
    const { Agent, request } = await import('undici');
    const res = await request(`${base}/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: e.token, host }),
      dispatcher: new Agent({ connect: { ca } }),
    });
    return ((await res.body.json()) as { token: string }).token;
  }

  it('wss:// with a custom CA: validates the collector certificate, refuses an unknown CA', async () => {
    const { c, base, ws } = await collector({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
    expect(ws).toMatch(/^wss:/);
    const caPem = readFileSync(pki.ca, 'utf8');
    const token = await enrolledToken(c, base, 'web-01', caPem);
    const good = client(ws, token, 'web-01', { ca: caPem });
    good.c.start();
    good.outbox.push({ kind: 'result', result: result() });
    await waitFor('delivery over wss', () => good.outbox.size() === 0);
    await good.c.stop();
    const bad = client(ws, token, 'web-01', { ca: pki.otherCa });
    bad.c.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(bad.c.stats.connects).toBe(0); // certificate not trusted: no connection at all
    await bad.c.stop();
  });

  it('mutual TLS: an agent without a client certificate from the configured CA is refused', async () => {
    const { c, base, ws } = await collector({
      tls: {
        certFile: pki.serverCert,
        keyFile: pki.serverKey,
        clientCaFile: pki.ca,
        clientCertificates: 'require',
      },
    });
    const caPem = readFileSync(pki.ca, 'utf8');
    const token = await enrolledToken(c, base, 'web-01', caPem);
    const without = client(ws, token, 'web-01', { ca: caPem });
    without.c.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(without.c.isReady()).toBe(false);
    expect(
      c.telemetry.registry.value('vigie_auth_failures_total', { reason: 'client_certificate' }),
    ).toBeGreaterThan(0);
    await without.c.stop();
    const withCert = client(ws, token, 'web-01', { ca: caPem, cert: pki.clientCert, key: pki.clientKey });
    withCert.c.start();
    withCert.outbox.push({ kind: 'result', result: result() });
    await waitFor('delivery with a client certificate', () => withCert.outbox.size() === 0);
    await withCert.c.stop();
  });
});

describe('rate limit', () => {
  it('tells an agent over its rate to send again later, and loses nothing', async () => {
    const { c, ws } = await collector({ ingest: { rateLimit: { resultsPerSecond: 20, burst: 20 } } });
    const e = await createEnrollment(c.store.db, {
      id: newId(),
      tenantId: 'acme',
      ttlMs: 60_000,
      now: new Date(),
    });
    const r = await redeemEnrollment(c.store.db, {
      token: e.token,
      host: 'busy',
      newTokenId: newId(),
      now: new Date(),
    });
    if (!r.ok) throw new Error(r.reason);
    const a = client(ws, r.token, 'busy');
    a.c.start();
    for (let i = 0; i < 60; i++) a.outbox.push({ kind: 'result', result: result() });
    await waitFor('all 60 delivered despite the limit', () => a.outbox.size() === 0, { timeoutMs: 15_000 });
    expect(c.telemetry.registry.value('vigie_ingest_errors_total', { code: 'rate_limited' })).toBeGreaterThan(
      0,
    );
    expect(c.telemetry.registry.value('vigie_ingest_results_total')).toBe(60);
    await a.c.stop();
  });
});
