// The v2 sink's answers from a store that refuses lines. InfluxDB 2.x cannot run here (the machine has
// InfluxDB 1.6.7, which has no /api/v2/write, and VictoriaMetrics, which never refuses a line: see
// line-protocol.int.test.ts for both), so a real HTTP server on a real socket answers as InfluxDB 2.x documents:
// 204, 400 `{"code":"invalid","message":...}` for a line it cannot take, 401 for a bad token, 503 when down.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SinkUnavailableError } from '../isolate.js';
import type { MetricPoint } from '../types.js';
import { InfluxV2Sink } from './sink.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function influx2(answer: (lines: string[]) => { status: number; body?: object }) {
  const requests: Array<{ url: string; lines: string[] }> = [];
  const written: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const lines = body.split('\n');
      requests.push({ url: req.url ?? '', lines });
      const a = answer(lines);
      if (a.status === 204) written.push(...lines);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body ? JSON.stringify(a.body) : undefined);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, written };
}

const point = (check: string, value: number): MetricPoint => ({
  measurement: 'm',
  tags: { tenant: 'acme', check },
  fields: { value },
  time: 1764331200000,
});

describe('InfluxV2Sink', () => {
  it('isolates the lines the store refuses (400) and writes the others, with the store message as reason', async () => {
    const store = await influx2((lines) =>
      lines.some((l) => l.includes('check=poison'))
        ? { status: 400, body: { code: 'invalid', message: 'failure writing points: field type conflict' } }
        : { status: 204 },
    );
    const sink = new InfluxV2Sink({
      url: store.url,
      org: 'acme',
      bucket: 'vigie',
      token: 't',
      timeoutMs: 2000,
    });
    const points = [point('a', 1), point('poison', 2), point('b', 3), point('c', 4)];
    const report = await sink.write(points);
    expect(report.refused).toEqual([
      {
        point: points[1],
        reason: `InfluxDB v2 write API at ${store.url} refused it: HTTP 400 failure writing points: field type conflict`,
      },
    ]);
    expect(store.written.map((l) => /check=(\w+)/.exec(l)?.[1])).toEqual(['a', 'b', 'c']);
    expect(store.requests[0]?.url).toBe('/api/v2/write?org=acme&bucket=vigie&precision=ms');
  });

  it('throws, to be retried whole, when the store is down or refuses the credential', async () => {
    for (const status of [503, 401]) {
      const store = await influx2(() => ({ status, body: { code: 'x', message: 'no' } }));
      const sink = new InfluxV2Sink({ url: store.url, org: 'acme', bucket: 'vigie', timeoutMs: 2000 });
      await expect(sink.write([point('a', 1), point('b', 2)])).rejects.toThrow(SinkUnavailableError);
      expect(store.requests).toHaveLength(1);
    }
    const closed = new InfluxV2Sink({ url: 'http://127.0.0.1:1', org: 'a', bucket: 'b', timeoutMs: 2000 });
    await expect(closed.write([point('a', 1)])).rejects.toThrow(/unreachable/);
  });
});
