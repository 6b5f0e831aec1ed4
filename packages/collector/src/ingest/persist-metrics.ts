// Stage: write the accepted results' metrics of the whole group to the metrics sink in one write, tagged with
// who sent them and timed on the collector's clock. The group is acked only once the write is durable (in the
// sink, or in its spool). A sink that packs whole results itself (the embedded store, on its own thread) gets
// the results; the others get their points.
import { type MetricPoint, type MetricsSink, type ResultRecord, resultToPoints } from '../sinks/types.js';
import type { IngestGroup, Stage } from './pipeline.js';

export class PersistMetricsStage implements Stage {
  readonly name = 'persist-metrics';
  constructor(private readonly sink: MetricsSink) {}

  async run(group: IngestGroup): Promise<void> {
    const records: ResultRecord[] = [];
    for (const b of group.batches) {
      const s = b.session;
      const who = {
        tenant: s.tenantId,
        application: s.application,
        environment: s.environment,
        host: s.host,
      };
      for (const a of b.accepted)
        records.push({ who, result: a.result, status: a.evaluation?.status ?? a.result.status, time: a.at });
    }
    if (records.length === 0) return;
    if (this.sink.writeResults) {
      await this.sink.writeResults(records);
      return;
    }
    const points: MetricPoint[] = [];
    for (const r of records)
      for (const p of resultToPoints(r.result, r.who, r.status, r.time)) points.push(p);
    await this.sink.write(points);
  }
}
