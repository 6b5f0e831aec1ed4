// Builds the configured metrics sink.
import type { SinkConfig } from '../config/load.js';
import { EmbeddedSink } from './embedded/sink.js';
import { InfluxV1Sink } from './influx-v1/sink.js';
import { InfluxV2Sink } from './influx-v2/sink.js';
import type { MetricsSink } from './types.js';

export function createSink(config: SinkConfig, now?: () => number): MetricsSink {
  switch (config.kind) {
    case 'embedded':
      return new EmbeddedSink({
        path: config.path,
        retentionMs: config.retentionMs,
        maxPoints: config.maxPoints,
        now,
      });
    case 'influx-v1':
      return new InfluxV1Sink(config);
    case 'influx-v2':
      return new InfluxV2Sink(config);
  }
}
