// Property-based fuzzing of the ingest endpoint (fast-check): whatever frames a client sends after its hello,
// the collector answers with an error frame or a close code, stays up, and a well-behaved agent connected
// alongside keeps delivering.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectorClient, MemoryOutbox } from '@vigie/agent';
import {
  addTenant,
  buildCollector,
  type Collector,
  createAgentToken,
  loadCollectorConfig,
} from '@vigie/collector';
import { createIdGenerator, type Result } from '@vigie/shared';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../support/wait.js';

const log = pino({ level: 'silent' });
const newId = createIdGenerator();

const validResult = (): Result => ({
  id: newId(),
  checkId: 'fs',
  type: 'filesystem',
  category: 'performance',
  status: 'ok',
  metrics: { 'used_percent@/': 3 },
  message: 'ok',
  observedAt: new Date().toISOString(),
  durationMs: 1,
});

/** Frames that look like protocol messages with one part wrong, plus raw noise. */
const frame: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.json({ maxDepth: 4 }),
  fc
    .record({
      v: fc.oneof(fc.constant(1), fc.integer(), fc.string(), fc.constant(null)),
      type: fc.oneof(fc.constantFrom('results', 'hello', 'drift.snapshot', 'event', 'ack'), fc.string()),
      batchId: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()),
      results: fc.oneof(
        fc.array(fc.anything({ maxDepth: 3 }), { maxLength: 5 }),
        fc.array(
          fc.record({
            id: fc.oneof(fc.uuid(), fc.string()),
            checkId: fc.string({ maxLength: 120 }),
            type: fc.string({ maxLength: 70 }),
            category: fc.oneof(fc.constantFrom('security', 'backup', 'performance', 'drift'), fc.string()),
            status: fc.oneof(fc.constantFrom('ok', 'warning', 'critical', 'unknown'), fc.string()),
            metrics: fc.dictionary(fc.string({ maxLength: 30 }), fc.oneof(fc.double(), fc.string())),
            message: fc.string({ maxLength: 100 }),
            observedAt: fc.oneof(
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
              fc.string(),
            ),
            durationMs: fc.oneof(fc.double(), fc.integer({ min: -5, max: 5 })),
          }),
          { maxLength: 3 },
        ),
      ),
    })
    .map((o) => JSON.stringify(o)),
);

describe('ingest endpoint under fuzzing', () => {
  let collector: Collector;
  let url: string;
  let token: string;
  let good: CollectorClient;
  const outbox = new MemoryOutbox(10_000);

  beforeAll(async () => {
    collector = await buildCollector(
      loadCollectorConfig(undefined, {
        dataDir: mkdtempSync(join(tmpdir(), 'vigie-fuzz-')),
        listen: { host: '127.0.0.1', port: 0 },
      }),
      { log },
    );
    url = `${(await collector.listen()).replace('http', 'ws')}/ingest`;
    await addTenant(collector.store.db, 'acme', 'ACME', new Date());
    token = (await createAgentToken(collector.store.db, { id: newId(), tenantId: 'acme', now: new Date() }))
      .token;
    const goodToken = (
      await createAgentToken(collector.store.db, { id: newId(), tenantId: 'acme', now: new Date() })
    ).token;
    good = new CollectorClient(
      {
        url,
        token: goodToken,
        agent: { host: 'good', environment: 'production', application: 'shop', version: 't' },
        batchSize: 10,
        reconnectMinMs: 50,
        reconnectMaxMs: 200,
        heartbeatMs: 5000,
      },
      outbox,
      log,
    );
    good.start();
  });

  afterAll(async () => {
    await good.stop();
    await collector.close();
  });

  it('never crashes, always says why, and keeps serving the good agent', async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), async (frames) => {
        const outcome = await new Promise<{ code: number; errors: number; acks: number }>((resolve) => {
          const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
          let errors = 0;
          let acks = 0;
          ws.on('open', () => {
            ws.send(
              JSON.stringify({
                v: 1,
                type: 'hello',
                agent: { host: 'fuzzer', environment: 'staging', application: 'x', version: 'f' },
              }),
            );
            for (const f of frames) ws.send(f);
            // A frame that happened to be valid is acked and the socket stays open: close it ourselves.
            setTimeout(() => ws.close(1000), 300);
          });
          ws.on('message', (d) => {
            const m = JSON.parse(d.toString()) as { type: string };
            if (m.type === 'error') errors++;
            if (m.type === 'ack') acks++;
          });
          ws.on('close', (code) => resolve({ code, errors, acks }));
          ws.on('error', () => {});
        });
        // Either the collector refused with a reason (error frame + close code), or every frame was valid.
        expect([1000, 1002, 1007, 1008, 1009, 4001, 4002, 4005]).toContain(outcome.code);
        if (outcome.code !== 1000)
          expect(outcome.errors + (outcome.code === 1007 || outcome.code === 1009 ? 1 : 0)).toBeGreaterThan(
            0,
          );
        outbox.push({ kind: 'result', result: validResult() });
        sent++;
      }),
      { numRuns: 120 },
    );
    await waitFor(
      'the good agent to have everything acked',
      () => outbox.size() === 0 && good.stats.resultsAcked === sent,
    );
    expect((await fetch(url.replace('ws', 'http').replace('/ingest', '/healthz'))).status).toBe(200);
  }, 120_000);
});
