// Stage: judge each accepted result against the threshold rules; the worst of agent and rules wins.
import { evaluateThresholds, type ThresholdRule } from '../rules/thresholds.js';
import type { IngestGroup, Stage } from './pipeline.js';

export class EvaluateStage implements Stage {
  readonly name = 'evaluate';
  constructor(private readonly rules: () => readonly ThresholdRule[]) {}

  run(group: IngestGroup): void {
    const rules = this.rules();
    for (const b of group.batches) {
      const s = b.session;
      const ctx = {
        tenant: s.tenantId,
        application: s.application,
        environment: s.environment,
        host: s.host,
      };
      for (const a of b.accepted) a.evaluation = evaluateThresholds(a.result, rules, ctx);
    }
  }
}
