// The parity report of an application: production (the reference) compared item by item with each host of the
// other environments (iso-production, staging), with the severity of each difference (rules.ts), and its
// Markdown rendering for the client. Pure: the caller loads the hosts' states (see service.ts).
import {
  classifyDifference,
  displayValue,
  ignoreMatcher,
  PARITY_RULES,
  SECRET_KEY_ID_ITEM,
  SEVERITIES,
  type Severity,
} from './rules.js';
import type { HostState } from './snapshots.js';

export interface ParityDifference {
  item: string;
  /** The production value as it may be shown (secrets truncated or hidden); null: absent in production. */
  production: string | null;
  /** The compared environment's value, shown the same way; null: absent there. */
  other: string | null;
  severity: Severity;
  /** The rule id (rules.ts, PARITY_RULES). */
  rule: string;
  reason: string;
  /** Since when the difference exists: the later of the times each side's value was first seen. */
  firstSeenAt: string;
}

export type SeverityCounts = Record<Severity, number>;

export interface ParityComparison {
  environment: string;
  host: string;
  /** When the compared host's latest snapshot was taken. */
  takenAt: string;
  differences: ParityDifference[];
  counts: SeverityCounts;
  /** No critical and no warning difference. */
  atParity: boolean;
  /** Items not compared because an ignore pattern matches them. */
  ignoredItems: number;
  /** Differences the provider ignored or accepted (decisions.ts): shown, not counted. */
  reviewed?: Array<
    ParityDifference & { decision: 'ignore' | 'accept'; decidedBy: string; decidedAt: string }
  >;
}

export interface ParityReport {
  tenant: string;
  application: string;
  generatedAt: string;
  reference: { host: string; environment: string; takenAt: string };
  comparisons: ParityComparison[];
  /** The ignore patterns applied (defaults and the application's own). */
  ignore: string[];
  /** Remarks: which production host was taken as the reference, hosts without snapshots. */
  notes: string[];
}

export interface ParityHost {
  host: string;
  environment: string;
  /** undefined: the host has sent no snapshot yet. */
  state: HostState | undefined;
}

export interface ParityInput {
  tenant: string;
  application: string;
  generatedAt: string;
  hosts: readonly ParityHost[];
  ignore: readonly string[];
}

export const REFERENCE_ENVIRONMENT = 'production';
const ENVIRONMENT_ORDER = ['iso-production', 'staging'];

function environmentRank(env: string): number {
  const i = ENVIRONMENT_ORDER.indexOf(env);
  return i < 0 ? ENVIRONMENT_ORDER.length : i;
}

function byName(a: { host: string }, b: { host: string }): number {
  return a.host < b.host ? -1 : a.host > b.host ? 1 : 0;
}

function later(a: string, b: string): string {
  return Date.parse(b) > Date.parse(a) ? b : a;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export function emptyCounts(): SeverityCounts {
  return { critical: 0, warning: 0, info: 0 };
}

/** Compares one host with the reference, item by item. */
export function compareHosts(
  reference: HostState,
  other: HostState,
  environment: string,
  ignored: (item: string) => boolean,
): ParityComparison {
  const keys = new Set([...reference.items.keys(), ...other.items.keys()]);
  const differences: ParityDifference[] = [];
  let ignoredItems = 0;
  // Secret hashes compare only between hosts that hash with the same key (an agent without the item: assume so).
  const refKey = reference.items.get(SECRET_KEY_ID_ITEM);
  const otherKey = other.items.get(SECRET_KEY_ID_ITEM);
  const secretsComparable = refKey === undefined || otherKey === undefined || refKey === otherKey;
  for (const item of keys) {
    if (ignored(item)) {
      ignoredItems++;
      continue;
    }
    const p = reference.items.get(item);
    const o = other.items.get(item);
    if (p === o) continue;
    const verdict = classifyDifference(item, p, o, environment, { secretsComparable });
    const times = [reference.firstSeen(item), other.firstSeen(item)].filter((t) => t !== undefined);
    const firstSeenAt = times.length > 0 ? times.reduce(later) : later(reference.takenAt, other.takenAt);
    differences.push({
      item,
      production: displayValue(item, p),
      other: displayValue(item, o),
      severity: verdict.severity,
      rule: verdict.rule,
      reason: verdict.reason,
      firstSeenAt,
    });
  }
  differences.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      (a.item < b.item ? -1 : a.item > b.item ? 1 : 0),
  );
  const counts = emptyCounts();
  for (const d of differences) counts[d.severity]++;
  return {
    environment,
    host: other.host,
    takenAt: other.takenAt,
    differences,
    counts,
    atParity: counts.critical === 0 && counts.warning === 0,
    ignoredItems,
  };
}

/**
 * The application's parity report: the first production host by name (among those that sent a snapshot) is
 * the reference; every host of another environment is compared with it. undefined: no production host with a
 * snapshot, hence nothing to compare with.
 */
export function buildParityReport(input: ParityInput): ParityReport | undefined {
  const notes: string[] = [];
  const production = input.hosts.filter((h) => h.environment === REFERENCE_ENVIRONMENT).sort(byName);
  const reference = production.find((h) => h.state !== undefined);
  if (!reference?.state) return undefined;
  if (production.length > 1) {
    notes.push(
      `${production.length} production hosts (${production.map((h) => h.host).join(', ')}): ` +
        `compared with ${reference.host}, the first by name that sent a snapshot.`,
    );
  }
  const ignored = ignoreMatcher(input.ignore);
  const comparisons: ParityComparison[] = [];
  const others = input.hosts
    .filter((h) => h.environment !== REFERENCE_ENVIRONMENT)
    .sort(
      (a, b) =>
        environmentRank(a.environment) - environmentRank(b.environment) ||
        (a.environment < b.environment ? -1 : a.environment > b.environment ? 1 : 0) ||
        byName(a, b),
    );
  for (const h of others) {
    if (!h.state) {
      notes.push(`${h.host} (${h.environment}) has sent no snapshot yet: not compared.`);
      continue;
    }
    comparisons.push(compareHosts(reference.state, h.state, h.environment, ignored));
  }
  if (others.length === 0)
    notes.push('No iso-production or staging host: nothing to compare production with.');
  return {
    tenant: input.tenant,
    application: input.application,
    generatedAt: input.generatedAt,
    reference: { host: reference.host, environment: REFERENCE_ENVIRONMENT, takenAt: reference.state.takenAt },
    comparisons,
    ignore: [...input.ignore],
    notes,
  };
}

/** The report's comparisons grouped by environment, in report order. */
export function byEnvironment(report: ParityReport): Map<string, ParityComparison[]> {
  const out = new Map<string, ParityComparison[]>();
  for (const c of report.comparisons) out.set(c.environment, [...(out.get(c.environment) ?? []), c]);
  return out;
}

// ---- Markdown ----

/** A Markdown table cell: pipes escaped, on one line. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A value as inline code (a longer fence when it contains backticks), or _absent_. */
function code(value: string | null): string {
  if (value === null) return '_absent_';
  if (value === '') return '_empty_';
  const runs = value.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return cell(`${fence}${pad}${value}${pad}${fence}`);
}

const TITLE: Record<Severity, string> = { critical: 'Critical', warning: 'Warning', info: 'Information' };

/** The report as a Markdown document for the client: summary table, then each comparison by severity. */
export function toMarkdown(report: ParityReport): string {
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  line(`# Parity report: ${cell(report.application)}`);
  line();
  line(`- Tenant: ${code(report.tenant)}`);
  line(`- Generated: ${report.generatedAt}`);
  line(
    `- Reference: production host ${code(report.reference.host)}, snapshot of ${report.reference.takenAt}`,
  );
  line(`- Not compared (ignore patterns): ${report.ignore.map(code).join(', ') || 'none'}`);
  line(
    '- Severity: **critical** and **warning** differences break parity with production; **information** ones do not.',
  );
  for (const n of report.notes) {
    line();
    line(`> ${cell(n)}`);
  }
  line();
  line('## Summary');
  line();
  if (report.comparisons.length === 0) {
    line('No environment to compare with production.');
  } else {
    line('| Environment | Host | Critical | Warning | Information | At parity |');
    line('| --- | --- | ---: | ---: | ---: | --- |');
    for (const c of report.comparisons) {
      line(
        `| ${cell(c.environment)} | ${code(c.host)} | ${c.counts.critical} | ${c.counts.warning} | ${c.counts.info} | ${c.atParity ? 'yes' : '**no**'} |`,
      );
    }
  }
  const used = new Set<string>();
  for (const c of report.comparisons) {
    line();
    line(`## ${cell(c.environment)}: ${code(c.host)}`);
    line();
    line(
      `Snapshot of ${c.takenAt}. ${c.differences.length} difference(s) with production` +
        (c.ignoredItems > 0 ? `; ${c.ignoredItems} item(s) ignored.` : '.'),
    );
    if (c.differences.length === 0) {
      line();
      line('Identical to production.');
    }
    for (const severity of SEVERITIES) {
      const diffs = c.differences.filter((d) => d.severity === severity);
      if (diffs.length === 0) continue;
      line();
      line(`### ${TITLE[severity]} (${diffs.length})`);
      line();
      line(`| Item | Production | ${cell(c.environment)} | Why | Rule | First seen |`);
      line('| --- | --- | --- | --- | --- | --- |');
      for (const d of diffs) {
        used.add(d.rule);
        line(
          `| ${code(d.item)} | ${code(d.production)} | ${code(d.other)} | ${cell(d.reason)} | ${cell(d.rule)} | ${d.firstSeenAt} |`,
        );
      }
    }
    if (c.reviewed?.length) {
      line();
      line(`### Reviewed by the provider (${c.reviewed.length})`);
      line();
      line(`| Item | Production | ${cell(c.environment)} | Decision | By | When |`);
      line('| --- | --- | --- | --- | --- | --- |');
      for (const d of c.reviewed) {
        const what = d.decision === 'accept' ? 'accepted as is' : 'ignored';
        line(
          `| ${code(d.item)} | ${code(d.production)} | ${code(d.other)} | ${what} | ${cell(d.decidedBy)} | ${d.decidedAt} |`,
        );
      }
    }
  }
  if (used.size > 0) {
    line();
    line('## Rules');
    line();
    line('| Rule | Severity | Meaning |');
    line('| --- | --- | --- |');
    for (const r of PARITY_RULES) {
      if (used.has(r.id)) line(`| ${r.id} | ${r.severity} | ${cell(r.description)} |`);
    }
  }
  line();
  return out.join('\n');
}
