// InfluxDB 1.x sink: POST /write with line protocol (precision ms), and GET /query (InfluxQL) to read a host's
// points back for charts and forecasts, through undici. A write refused as bad data is split until the bad
// lines are alone (isolate.ts); those are reported, every other line is written.
import { request } from 'undici';
import { storeAnswer, unreachable, writePoints } from '../isolate.js';
import type { MetricPoint, MetricsSink, SeriesPoint, SeriesQuery, WriteReport } from '../types.js';
import { type InfluxQueryResponse, pointsOfResponse, seriesInfluxQL } from './query.js';

export interface InfluxV1Config {
  url: string;
  database: string;
  username?: string;
  password?: string;
  retentionPolicy?: string;
  timeoutMs: number;
}

export class InfluxV1Sink implements MetricsSink {
  readonly name = 'influx-v1';
  private readonly writeUrl: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly config: InfluxV1Config) {
    const u = new URL('/write', config.url);
    u.searchParams.set('db', config.database);
    u.searchParams.set('precision', 'ms');
    if (config.retentionPolicy) u.searchParams.set('rp', config.retentionPolicy);
    this.writeUrl = u.toString();
    this.headers = { 'content-type': 'text/plain; charset=utf-8' };
    if (config.username !== undefined) {
      const cred = Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64');
      this.headers.authorization = `Basic ${cred}`;
    }
  }

  async write(points: MetricPoint[]): Promise<WriteReport> {
    const where = `InfluxDB 1.x at ${this.config.url}`;
    return writePoints(points, where, async (body) => {
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(this.writeUrl, {
          method: 'POST',
          body,
          headers: this.headers,
          headersTimeout: this.config.timeoutMs,
          bodyTimeout: this.config.timeoutMs,
        });
      } catch (err) {
        throw unreachable(where, err as Error);
      }
      return storeAnswer(res.statusCode, await res.body.text());
    });
  }

  async query(q: SeriesQuery): Promise<SeriesPoint[]> {
    const u = new URL('/query', this.config.url);
    u.searchParams.set('db', this.config.database);
    u.searchParams.set('epoch', 'ms');
    if (this.config.retentionPolicy) u.searchParams.set('rp', this.config.retentionPolicy);
    u.searchParams.set('q', seriesInfluxQL(q));
    const headers = { ...this.headers };
    delete headers['content-type'];
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(u, {
        method: 'GET',
        headers,
        headersTimeout: this.config.timeoutMs,
        bodyTimeout: this.config.timeoutMs,
      });
    } catch (err) {
      throw new Error(`InfluxDB 1.x at ${this.config.url} unreachable: ${(err as Error).message}`);
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      throw new Error(
        `InfluxDB 1.x at ${this.config.url} refused the query: HTTP ${res.statusCode} ${text.slice(0, 300)}`,
      );
    }
    return pointsOfResponse(JSON.parse(text) as InfluxQueryResponse, q.limit ?? 10_000);
  }

  async close(): Promise<void> {}
}
