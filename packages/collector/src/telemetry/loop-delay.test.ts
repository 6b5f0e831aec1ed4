// The event loop's delay in /metrics: a main thread blocked for 150 ms shows as a max of at least that in the
// next scrape, the median stays small, and the scrape after starts a new window.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildCollector, type Collector } from '../app.js';
import { loadCollectorConfig } from '../config/load.js';

let collector: Collector;

beforeAll(async () => {
  collector = await buildCollector(
    loadCollectorConfig(undefined, {
      dataDir: mkdtempSync(join(tmpdir(), 'vigie-loop-delay-')),
      listen: { host: '127.0.0.1', port: 0 },
    }),
    { log: pino({ level: 'silent' }) },
  );
});

afterAll(async () => {
  await collector.close();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scrape(): Promise<{ p50: number; p99: number; max: number }> {
  const text = (await collector.app.inject({ method: 'GET', url: '/metrics' })).body;
  const gauge = (q: string) =>
    Number(new RegExp(`^vigie_event_loop_delay_${q}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { p50: gauge('p50'), p99: gauge('p99'), max: gauge('max') };
}

it('reports the event loop delay since the previous scrape', async () => {
  await scrape();
  await pause(200);
  const start = Date.now();
  while (Date.now() - start < 150) {
    // The main thread is busy: the loop's 10 ms timer cannot fire.
  }
  await pause(200);
  const blocked = await scrape();
  expect(blocked.max).toBeGreaterThanOrEqual(0.13);
  expect(blocked.p99).toBeLessThanOrEqual(blocked.max);
  expect(blocked.p50).toBeLessThan(0.05);
  await pause(300);
  const next = await scrape();
  expect(next.max).toBeLessThan(0.13);
});
