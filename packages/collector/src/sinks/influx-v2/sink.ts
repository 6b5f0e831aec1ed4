// InfluxDB v2 write API sink (InfluxDB 2.x/3.x, 1.8+, VictoriaMetrics) through @influxdata/influxdb-client.
import { InfluxDB, Point, type WriteApi } from '@influxdata/influxdb-client';
import type { MetricPoint, MetricsSink } from '../types.js';

export interface InfluxV2Config {
  url: string;
  org: string;
  bucket: string;
  token?: string;
  timeoutMs: number;
}

export class InfluxV2Sink implements MetricsSink {
  readonly name = 'influx-v2';
  private readonly writeApi: WriteApi;

  constructor(private readonly config: InfluxV2Config) {
    const client = new InfluxDB({ url: config.url, token: config.token ?? '', timeout: config.timeoutMs });
    // Retries belong to the collector (spool and ack), not to a hidden buffer inside the client.
    this.writeApi = client.getWriteApi(config.org, config.bucket, 'ms', {
      batchSize: 100_000,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: 1_000_000,
    });
  }

  async write(points: MetricPoint[]): Promise<void> {
    for (const p of points) {
      const point = new Point(p.measurement).timestamp(p.time);
      for (const [k, v] of Object.entries(p.tags)) if (v !== '') point.tag(k, v);
      for (const [k, v] of Object.entries(p.fields)) if (Number.isFinite(v)) point.floatField(k, v);
      this.writeApi.writePoint(point);
    }
    try {
      await this.writeApi.flush();
    } catch (err) {
      throw new Error(`InfluxDB v2 write API at ${this.config.url} failed: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.writeApi.close().catch((err: Error) => {
      throw new Error(`closing InfluxDB v2 writer: ${err.message}`);
    });
  }
}
