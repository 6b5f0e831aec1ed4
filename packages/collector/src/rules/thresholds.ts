// Threshold rules: a metric compared with a warning and a critical level, matched by check type or id.
import { type Static, Type } from '@sinclair/typebox';
import { type Result, type Status, splitMetricName, worstStatus } from '@vigie/shared';

export const ThresholdRuleSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'rule name, shown in ticket timelines and the API' }),
    metric: Type.String({ minLength: 1, description: 'metric field name, e.g. used_percent' }),
    instance: Type.Optional(Type.String({ description: 'only this instance (e.g. a mount point)' })),
    type: Type.Optional(Type.String({ description: 'only results of this check type' })),
    tenant: Type.Optional(Type.String()),
    application: Type.Optional(Type.String()),
    environment: Type.Optional(Type.String()),
    host: Type.Optional(Type.String()),
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

/** Where a result comes from, to match rules scoped by tenant, application, environment and host. */
export interface RuleContext {
  tenant: string;
  application: string;
  environment: string;
  host: string;
}

/** How specific a rule is: the most specific matching rule for a metric wins (check > host > env > app > tenant). */
export function specificity(rule: ThresholdRule): number {
  return (
    (rule.check !== undefined ? 32 : 0) +
    (rule.host !== undefined ? 16 : 0) +
    (rule.environment !== undefined ? 8 : 0) +
    (rule.application !== undefined ? 4 : 0) +
    (rule.tenant !== undefined ? 2 : 0) +
    (rule.type !== undefined ? 1 : 0)
  );
}

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
  /** Which rule applied to each metric (metric name -> rule id), whether it fired or not. */
  applied: Record<string, string>;
  message: string;
}

function ruleApplies(rule: ThresholdRule, result: Result, ctx: RuleContext | undefined): boolean {
  const scoped = (want: string | undefined, have: string | undefined) => want === undefined || want === have;
  return (
    scoped(rule.type, result.type) &&
    scoped(rule.check, result.checkId) &&
    scoped(rule.tenant, ctx?.tenant) &&
    scoped(rule.application, ctx?.application) &&
    scoped(rule.environment, ctx?.environment) &&
    scoped(rule.host, ctx?.host)
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

export function evaluateThresholds(
  result: Result,
  rules: readonly ThresholdRule[],
  ctx?: RuleContext,
): Evaluation {
  const findings: Finding[] = [];
  const applied: Record<string, string> = {};
  const candidates = rules.filter((r) => ruleApplies(r, result, ctx));
  for (const [name, value] of Object.entries(result.metrics)) {
    const { field, instance } = splitMetricName(name);
    let best: ThresholdRule | undefined;
    for (const rule of candidates) {
      if (rule.metric !== field || (rule.instance !== undefined && rule.instance !== instance)) continue;
      const score = specificity(rule) + (rule.instance !== undefined ? 0.5 : 0);
      const bestScore = best ? specificity(best) + (best.instance !== undefined ? 0.5 : 0) : -1;
      if (score > bestScore) best = rule;
    }
    if (!best) continue;
    applied[name] = best.id;
    const v = verdict(best, value);
    if (v) findings.push({ rule: best.id, metric: name, value, ...v });
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
  return { status, findings, applied, message };
}
