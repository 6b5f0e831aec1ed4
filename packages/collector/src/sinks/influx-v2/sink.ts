// InfluxDB v2 write API sink (InfluxDB 2.x/3.x, 1.8+, VictoriaMetrics) through @influxdata/influxdb-client's
// transport: one request per call, so that a request refused as bad data can be split until the bad lines are
// alone (isolate.ts) and retries stay with the collector (spool and ack), not in a hidden buffer of the client.
import { HttpError, InfluxDB, type Transport } from '@influxdata/influxdb-client';
import { storeAnswer, unreachable, writePoints } from '../isolate.js';
import type { MetricPoint, MetricsSink, WriteReport } from '../types.js';

export interface InfluxV2Config {
  url: string;
  org: string;
  bucket: string;
  token?: string;
  timeoutMs: number;
}

export class InfluxV2Sink implements MetricsSink {
  readonly name = 'influx-v2';
  private readonly transport: Transport;
  private readonly path: string;

  constructor(private readonly config: InfluxV2Config) {
    const client = new InfluxDB({ url: config.url, token: config.token ?? '', timeout: config.timeoutMs });
    this.transport = client.transport;
    const query = new URLSearchParams({ org: config.org, bucket: config.bucket, precision: 'ms' });
    this.path = `/api/v2/write?${query.toString()}`;
  }

  async write(points: MetricPoint[]): Promise<WriteReport> {
    const where = `InfluxDB v2 write API at ${this.config.url}`;
    return writePoints(points, where, async (body) => {
      try {
        await this.transport.request(this.path, body, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        });
        return { ok: true };
      } catch (err) {
        if (err instanceof HttpError) return storeAnswer(err.statusCode, err.body ?? err.message);
        throw unreachable(where, err as Error);
      }
    });
  }

  async close(): Promise<void> {}
}
