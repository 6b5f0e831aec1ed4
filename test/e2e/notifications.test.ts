// Ticket notifications end to end: a failing check's ticket reaches a real local webhook receiver that is
// down at first, signed with HMAC-SHA256, delivered once per event after retries; acknowledging it through the
// API notifies again.

import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectorClient, MemoryOutbox } from '@vigie/agent';
import {
  addTenant,
  buildCollector,
  type Collector,
  createAgentToken,
  createApiKey,
  loadCollectorConfig,
  verifySignature,
} from '@vigie/collector';
import { createIdGenerator } from '@vigie/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';

const SECRET = 'a-long-shared-webhook-secret';
const newId = createIdGenerator();

describe('webhook notifications', () => {
  let receiver: Server;
  let collector: Collector;
  let failuresLeft = 2;
  const received: Array<{ eventId: string; kind: string; signed: boolean; ticket: { id: string } }> = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        if (failuresLeft > 0) {
          failuresLeft--;
          res.writeHead(503);
          res.end('down for maintenance');
          return;
        }
        const n = JSON.parse(body) as { eventId: string; kind: string; ticket: { id: string } };
        received.push({ ...n, signed: verifySignature(body, req.headers['x-vigie-signature'], SECRET) });
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as { port: number }).port;
    collector = await buildCollector(
      loadCollectorConfig(undefined, {
        dataDir: mkdtempSync(join(tmpdir(), 'vigie-notify-')),
        listen: { host: '127.0.0.1', port: 0 },
        tickets: { confirm: { failures: 1, recoveries: 1 } },
        connectors: [
          {
            kind: 'webhook',
            name: 'noc',
            url: `http://127.0.0.1:${port}/vigie`,
            secret: SECRET,
            timeout: '2s',
          },
        ],
      }),
      { log: pino({ level: 'silent' }) },
    );
    await collector.listen();
  });

  afterAll(async () => {
    await collector.close();
    await new Promise((r) => receiver.close(r));
  });

  it('delivers the opened ticket once, signed, after the receiver recovers; then the acknowledgement', async () => {
    const db = collector.store.db;
    await addTenant(db, 'acme', 'ACME', new Date());
    const token = (await createAgentToken(db, { id: newId(), tenantId: 'acme', now: new Date() })).token;
    const key = (await createApiKey(db, { id: newId(), tenantId: null, name: 'noc', now: new Date() })).key;
    const port = (collector.app.server.address() as { port: number }).port;
    const outbox = new MemoryOutbox(10);
    const client = new CollectorClient(
      {
        url: `ws://127.0.0.1:${port}/ingest`,
        token,
        agent: { host: 'web-01', environment: 'production', application: 'shop', version: 't' },
        batchSize: 10,
        reconnectMinMs: 50,
        reconnectMaxMs: 200,
        heartbeatMs: 5000,
      },
      outbox,
      pino({ level: 'silent' }),
    );
    client.start();
    outbox.push({
      kind: 'result',
      result: {
        id: newId(),
        checkId: 'db',
        type: 't',
        category: 'backup',
        status: 'critical',
        metrics: {},
        message: 'no backup for 3 days',
        observedAt: new Date().toISOString(),
        durationMs: 1,
      },
    });
    // The dispatcher retries with backoff (1 s, 2 s): the receiver fails twice, then accepts.
    const opened = await waitFor('the opened notification', () => received.find((n) => n.kind === 'opened'), {
      timeoutMs: 15_000,
    });
    expect(opened.signed).toBe(true);
    expect(failuresLeft).toBe(0);
    const res = await fetch(`http://127.0.0.1:${port}/api/tickets/${opened.ticket.id}/acknowledge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    await waitFor('the acknowledged notification', () => received.find((n) => n.kind === 'acknowledged'), {
      timeoutMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 1500)); // a further dispatcher pass must not send anything again
    const ids = received.map((n) => n.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(received.map((n) => n.kind)).toEqual(['opened', 'acknowledged']);
    await client.stop();
  });
});
