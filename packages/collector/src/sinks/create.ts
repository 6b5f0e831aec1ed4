// Builds the configured metrics sink.
import type { CollectorConfig, SinkConfig } from '../config/load.js';
import { ThreadedEmbeddedSink } from './embedded/threaded.js';
import { InfluxV1Sink } from './influx-v1/sink.js';
import { InfluxV2Sink } from './influx-v2/sink.js';
import { type SpoolEvent, SpoolingSink } from './spool/sink.js';
import type { MetricsSink } from './types.js';

/** The configured sink (the embedded one on its own thread); a remote one (InfluxDB) sits behind a disk spool so that its outages lose nothing. */
export function createSink(
  config: SinkConfig,
  spool: CollectorConfig['spool'],
  deps: { now?: () => number; onSpoolEvent?: (e: SpoolEvent) => void } = {},
): MetricsSink {
  if (config.kind === 'embedded') {
    return new ThreadedEmbeddedSink({
      path: config.path,
      retentionMs: config.retentionMs,
      maxPoints: config.maxPoints,
      now: deps.now,
    });
  }
  const inner = config.kind === 'influx-v1' ? new InfluxV1Sink(config) : new InfluxV2Sink(config);
  return new SpoolingSink(inner, {
    path: spool.path,
    maxBytes: spool.maxBytes,
    writeTimeoutMs: spool.writeTimeoutMs,
    retryMinMs: 500,
    retryMaxMs: spool.retryMaxMs,
    deadLetterMax: spool.deadLetters,
    now: deps.now,
    onEvent: deps.onSpoolEvent,
  });
}
