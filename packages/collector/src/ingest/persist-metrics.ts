// Stage: write the fresh results' metrics to the metrics sink, tagged with who sent them.
import { type MetricPoint, type MetricsSink, resultToPoints } from '../sinks/types.js';
import type { IngestBatch, Stage } from './pipeline.js';

export class PersistMetricsStage implements Stage {
  readonly name = 'persist-metrics';
  constructor(private readonly sink: MetricsSink) {}

  async run(batch: IngestBatch): Promise<void> {
    if (batch.fresh.length === 0) return;
    const s = batch.session;
    const who = { tenant: s.tenantId, application: s.application, environment: s.environment, host: s.host };
    const points: MetricPoint[] = [];
    for (const r of batch.fresh) {
      points.push(...resultToPoints(r, who, batch.evaluations.get(r.id)?.status ?? r.status));
    }
    await this.sink.write(points);
  }
}
