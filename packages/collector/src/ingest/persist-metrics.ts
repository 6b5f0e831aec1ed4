// Stage: write the accepted results' metrics of the whole group to the metrics sink in one write, tagged with
// who sent them and timed on the collector's clock. The group is acked only once the write is durable (in the
// sink, or in its spool).
import { type MetricPoint, type MetricsSink, resultToPoints } from '../sinks/types.js';
import type { IngestGroup, Stage } from './pipeline.js';

export class PersistMetricsStage implements Stage {
  readonly name = 'persist-metrics';
  constructor(private readonly sink: MetricsSink) {}

  async run(group: IngestGroup): Promise<void> {
    const points: MetricPoint[] = [];
    for (const b of group.batches) {
      const s = b.session;
      const who = {
        tenant: s.tenantId,
        application: s.application,
        environment: s.environment,
        host: s.host,
      };
      for (const a of b.accepted) {
        for (const p of resultToPoints(a.result, who, a.evaluation?.status ?? a.result.status, a.at))
          points.push(p);
      }
    }
    if (points.length > 0) await this.sink.write(points);
  }
}
