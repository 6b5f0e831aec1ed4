// Stage: judge each fresh result against the threshold rules; the worst of agent and rules wins.
import { evaluateThresholds, type ThresholdRule } from '../rules/thresholds.js';
import type { IngestBatch, Stage } from './pipeline.js';

export class EvaluateStage implements Stage {
  readonly name = 'evaluate';
  constructor(private readonly rules: () => readonly ThresholdRule[]) {}

  async run(batch: IngestBatch): Promise<void> {
    const rules = this.rules();
    const s = batch.session;
    const ctx = { tenant: s.tenantId, application: s.application, environment: s.environment, host: s.host };
    for (const r of batch.fresh) batch.evaluations.set(r.id, evaluateThresholds(r, rules, ctx));
  }
}
