// Setting an application's parity ignore patterns updates its open drift ticket at once (issue 15), not at the
// next snapshot (hourly by default): a real collector, agents' snapshots over real sockets, the REST API.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addTenant,
  buildCollector,
  type Collector,
  createAgentToken,
  createApiKey,
  loadCollectorConfig,
} from '@vigie/collector';
import { createIdGenerator } from '@vigie/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../support/wait.js';

const newId = createIdGenerator();

/** An agent of application `shop` sending one full fingerprint, until it is acked. */
function snapshotFrom(url: string, token: string, host: string, environment: string, items: object) {
  return new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    ws.on('open', () => {
      ws.send(
        JSON.stringify({
          v: 1,
          type: 'hello',
          agent: { host, environment, application: 'shop', version: 't' },
        }),
      );
      ws.send(
        JSON.stringify({
          v: 1,
          type: 'drift.snapshot',
          snapshotId: newId(),
          checkId: 'fingerprint',
          takenAt: new Date().toISOString(),
          full: true,
          items,
          removed: [],
        }),
      );
    });
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string };
      if (m.type === 'ack') ws.close(1000);
      if (m.type === 'error') reject(new Error(d.toString()));
    });
    ws.on('close', () => resolve());
    ws.on('error', reject);
  });
}

describe('parity ignore patterns', () => {
  let collector: Collector;
  let base: string;
  let key: string;

  beforeAll(async () => {
    collector = await buildCollector(
      loadCollectorConfig(undefined, {
        dataDir: mkdtempSync(join(tmpdir(), 'vigie-ignore-')),
        listen: { host: '127.0.0.1', port: 0 },
      }),
      { log: pino({ level: 'silent' }) },
    );
    base = await collector.listen();
    const db = collector.store.db;
    await addTenant(db, 'acme', 'ACME', new Date());
    key = (await createApiKey(db, { id: newId(), tenantId: null, name: 'noc', now: new Date() })).key;
    const url = `${base.replace('http', 'ws')}/ingest`;
    const token = async () =>
      (await createAgentToken(db, { id: newId(), tenantId: 'acme', now: new Date() })).token;
    const prod = { 'os.kernel': '6.1.0', 'cpu.cores': '8', 'memory.total_bytes': '17179869184' };
    await snapshotFrom(url, await token(), 'shop-prod', 'production', prod);
    await snapshotFrom(url, await token(), 'shop-iso', 'iso-production', {
      ...prod,
      'cpu.cores': '4',
      'memory.total_bytes': '8589934592',
    });
  });

  afterAll(async () => {
    await collector.close();
  });

  const api = async <T>(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<T> => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    expect(r.status, `${method} ${path}`).toBe(200);
    return (await r.json()) as T;
  };
  const driftTicket = async () =>
    (
      await api<Array<{ checkId: string; status: string; message: string; occurrences: number }>>(
        'GET',
        '/api/tickets?host=shop',
      )
    ).find((t) => t.checkId === 'parity:iso-production');

  it('updates the open drift ticket when set, and resolves it when every difference is ignored', async () => {
    const opened = await waitFor('the drift ticket', driftTicket);
    expect(opened.status).toBe('open');
    expect(opened.message).toContain('cpu.cores');
    expect(opened.message).toContain('memory.total_bytes');

    // Fewer cores are expected on this iso-production: the ticket now names only the memory, at once.
    await api('PUT', '/api/applications/shop/parity/ignore', { patterns: ['cpu.*'] });
    const updated = await driftTicket();
    expect(updated?.status).toBe('open');
    expect(updated?.message).not.toContain('cpu.cores');
    expect(updated?.message).toContain('memory.total_bytes');

    await api('PUT', '/api/applications/shop/parity/ignore', { patterns: ['cpu.*', 'memory.*'] });
    expect((await driftTicket())?.status).toBe('resolved');
  });
});
