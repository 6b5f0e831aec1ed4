// Threshold rules: a metric compared with a warning and a critical level, matched by check type or id.
import { type Static, Type } from '@sinclair/typebox';
import { type Result, type Status, splitMetricName, worstStatus } from '@vigie/shared';

export const ThresholdRuleSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'rule name, shown in ticket timelines' }),
    metric: Type.String({ minLength: 1, description: 'metric field name, e.g. used_percent' }),
    instance: Type.Optional(Type.String({ description: 'only this instance (e.g. a mount point)' })),
    type: Type.Optional(Type.String({ description: 'only results of this check type' })),
    check: Type.Optional(Type.String({ description: 'only results of this check id' })),
    direction: Type.Optional(
      Type.Union([Type.Literal('above'), Type.Literal('below')], { default: 'above' }),
    ),
    warning: Type.Optional(Type.Number()),
    critical: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type ThresholdRule = Static<typeof ThresholdRuleSchema>;

export interface Finding {
  rule: string;
  metric: string;
  value: number;
  status: Status;
  limit: number;
}

export interface Evaluation {
  /** The worst of the agent's own status and every rule's verdict. */
  status: Status;
  findings: Finding[];
  message: string;
}

function ruleApplies(rule: ThresholdRule, result: Result): boolean {
  return (
    (rule.type === undefined || rule.type === result.type) &&
    (rule.check === undefined || rule.check === result.checkId)
  );
}

function verdict(rule: ThresholdRule, value: number): { status: Status; limit: number } | undefined {
  const below = rule.direction === 'below';
  const past = (limit: number | undefined): limit is number =>
    limit !== undefined && (below ? value <= limit : value >= limit);
  if (past(rule.critical)) return { status: 'critical', limit: rule.critical };
  if (past(rule.warning)) return { status: 'warning', limit: rule.warning };
  return undefined;
}

export function evaluateThresholds(result: Result, rules: readonly ThresholdRule[]): Evaluation {
  const findings: Finding[] = [];
  for (const rule of rules) {
    if (!ruleApplies(rule, result)) continue;
    for (const [name, value] of Object.entries(result.metrics)) {
      const { field, instance } = splitMetricName(name);
      if (field !== rule.metric || (rule.instance !== undefined && rule.instance !== instance)) continue;
      const v = verdict(rule, value);
      if (v) findings.push({ rule: rule.id, metric: name, value, ...v });
    }
  }
  let status = result.status;
  for (const f of findings) status = worstStatus(status, f.status);
  const worst = findings.reduce<Finding | undefined>(
    (a, f) => (a === undefined || worstStatus(a.status, f.status) !== a.status ? f : a),
    undefined,
  );
  const message =
    worst && worst.status === status && result.status !== status
      ? `${worst.metric} = ${worst.value} (${worst.status}: rule ${worst.rule}, limit ${worst.limit})`
      : result.message;
  return { status, findings, message };
}
