// The figures of a client report for a tenant and a period: the one source of every number the API (JSON), the
// HTML page and the PDF show. SLA compliance per priority, tickets by category, MTTA/MTTR, availability per host,
// backups verified, security posture, iso-production parity, contract usage, maintenance windows, and the risks
// ahead.

import { listEntries } from '../contracts/ledger.js';
import { contractDb } from '../contracts/migration.js';
import type { Language } from '../contracts/model.js';
import { countedKindOf } from '../contracts/model.js';
import { type Contract, listContracts } from '../contracts/store.js';
import { listWorkLogs, type TimeTotals, timeTotals } from '../contracts/worklogs.js';
import { parityReportFor } from '../drift/service.js';
import { windowRunsBetween } from '../maintenance/store.js';
import type { FieldStat, MetricsHistory, StatusCount } from '../sinks/history.js';
import { type Interval, mergeIntervals } from '../sla/wall-clock.js';
import { listApplications } from '../store/agents.js';
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import { getTenant } from '../store/tenants.js';
import { type ContractBook, clockOf } from '../tickets/contracts.js';
import { PRIORITIES } from '../tickets/priority.js';
import type { Period } from './period.js';

export const REPORT_FORMAT_VERSION = 1;

/** Check types whose critical state means the host's service is down (the rest degrade it, not stop it). */
export const AVAILABILITY_TYPES = ['service', 'http', 'tcp'];
export const CERTIFICATE_TYPES = ['tls-certificate-file', 'tls-certificate-endpoint'];
export const EXPIRING_DAYS = 30;

export interface Risk {
  title: string;
  detail: string;
  severity: 'critical' | 'warning' | 'info';
}
/** What forecasts will feed; empty until then. */
export type RiskProvider = (tenant: string, period: Period) => Promise<Risk[]>;
export const NO_RISKS: RiskProvider = async () => [];

export interface TargetFigures {
  met: number;
  breached: number;
  /** Neither met nor breached at the end of the period. */
  pending: number;
  /** met / (met + breached), in %; null when neither. */
  percent: number | null;
}

export interface ReportData {
  formatVersion: number;
  tenant: { id: string; name: string };
  period: { from: string; to: string; label: string; timeZone: string };
  language: Language;
  generatedAt: string;
  /** Figures are as of this instant: the period's end, or the generation time for a period not over yet. */
  asOf: string;
  contract: { id: string; name: string; type: string } | null;
  sla: {
    byPriority: Array<{
      priority: string;
      tickets: number;
      response: TargetFigures;
      resolution: TargetFigures;
    }>;
    breaches: Array<{
      ticketId: string;
      title: string;
      host: string;
      priority: string;
      target: string;
      dueAt: string;
      metAt: string | null;
    }>;
    compliancePercent: number | null;
  };
  tickets: {
    opened: number;
    resolved: number;
    byCategory: Array<{ category: string; opened: number; resolved: number }>;
    outOfScope: number;
    beyondContract: number;
  };
  mttaSeconds: number | null;
  mttrSeconds: number | null;
  availability: {
    hosts: Array<{
      host: string;
      application: string;
      environment: string;
      monitoredSeconds: number;
      unreachableSeconds: number;
      downSeconds: number;
      percent: number | null;
    }>;
    percent: number | null;
  };
  backups: {
    checks: Array<{
      host: string;
      check: string;
      type: string;
      results: number | null;
      ok: number | null;
      failed: number | null;
      status: string;
    }>;
    restoreTests: { runs: number | null; passed: number | null };
  };
  security: {
    updates: Array<{ host: string; check: string; maxPending: number; lastPending: number }>;
    certificates: Array<{
      host: string;
      check: string;
      instance: string;
      minDaysLeft: number;
      lastDaysLeft: number;
      expiring: boolean;
    }>;
  };
  parity: Array<{
    application: string;
    environment: string;
    host: string;
    atParity: boolean;
    critical: number;
    warning: number;
    info: number;
  }>;
  usage: {
    ticketBook: {
      opening: number;
      credited: number;
      consumed: number;
      corrections: number;
      closing: number;
      deductions: number;
    } | null;
    regie: (TimeTotals & { hoursPerDay: number }) | null;
    counted: number;
  } | null;
  /** Maintenance windows that ran in the period (their runs clipped to it), earliest first. */
  maintenance: Array<{
    application: string | null;
    host: string | null;
    check: string | null;
    kind: string;
    reason: string;
    runs: Array<{ from: string; to: string }>;
    coveredSeconds: number;
  }>;
  risksAhead: Risk[];
  /** What the figures could not include, and why. */
  notes: string[];
}

export interface ComputeInput {
  db: Db;
  history: MetricsHistory | undefined;
  tenant: string;
  period: Period;
  language: Language;
  now: Date;
  contracts: ContractBook;
  risks: RiskProvider;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const pct = (part: number, whole: number): number | null => (whole > 0 ? round2((part / whole) * 100) : null);
const inPeriod = (iso: string | null | undefined, from: string, to: string) =>
  !!iso && iso >= from && iso < to;

export async function computeReport(input: ComputeInput): Promise<ReportData> {
  const { db, period } = input;
  const tenant = await getTenant(db, input.tenant);
  if (!tenant) throw new Error(`no tenant ${input.tenant}`);
  const from = period.from.toISOString();
  const to = period.to.toISOString();
  const asOfMs = Math.min(input.now.getTime(), period.to.getTime());
  const asOf = new Date(asOfMs).toISOString();
  const notes: string[] = [];
  const tickets = await db
    .selectFrom('tickets')
    .selectAll()
    .where('tenant_id', '=', input.tenant)
    .where((eb) =>
      eb.or([eb.and([eb('opened_at', '>=', from), eb('opened_at', '<', to)]), eb('resolved_at', '>=', from)]),
    )
    .orderBy('opened_at')
    .orderBy('id')
    .execute();
  const opened = tickets.filter((t) => inPeriod(t.opened_at, from, asOf));
  const states = await db
    .selectFrom('check_states')
    .select(['host', 'check_id', 'type', 'category', 'status', 'metrics'])
    .where('tenant_id', '=', input.tenant)
    .execute();
  const stateOf = new Map(states.map((s) => [`${s.host}\u0000${s.check_id}`, s]));
  const contracts = (await listContracts(db, input.tenant)).filter(
    (c) =>
      c.definition.startsOn < period.to.toISOString().slice(0, 10) &&
      (c.definition.endsOn === null || c.definition.endsOn >= from.slice(0, 10)),
  );
  const contract = contracts[0];
  const [sla, availability, backups, security, parity, usage, risks] = [
    await slaFigures(input, opened, asOfMs),
    await availabilityFigures(input, tickets, stateOf, asOfMs),
    await backupFigures(input, states, notes),
    await securityFigures(input, states, notes),
    await parityFigures(input),
    contract ? await usageFigures(input, contract, tickets) : null,
    await input.risks(input.tenant, period),
  ];
  const resolved = tickets.filter(
    (t) => inPeriod(t.resolved_at, from, to) && t.resolved_at !== null && t.resolved_at <= asOf,
  );
  const categories = new Map<string, { category: string; opened: number; resolved: number }>();
  const bump = (t: TicketTable, key: 'opened' | 'resolved') => {
    const category = categoryOf(t, stateOf);
    const c = categories.get(category) ?? { category, opened: 0, resolved: 0 };
    c[key]++;
    categories.set(category, c);
  };
  for (const t of opened) bump(t, 'opened');
  for (const t of resolved) bump(t, 'resolved');
  const marks = await contractDb(db)
    .selectFrom('contract_tickets')
    .select(['ticket_id', 'scope'])
    .where('tenant_id', '=', input.tenant)
    .execute();
  const scopeOf = new Map(marks.map((m) => [m.ticket_id, m.scope]));
  const acked = opened.filter((t) => t.acknowledged_at && t.acknowledged_at <= asOf);
  const mean = (xs: number[]) =>
    xs.length > 0 ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : null;
  return {
    formatVersion: REPORT_FORMAT_VERSION,
    tenant: { id: tenant.id, name: tenant.name },
    period: { from, to, label: period.label, timeZone: period.timeZone },
    language: input.language,
    generatedAt: input.now.toISOString(),
    asOf,
    contract: contract
      ? { id: contract.row.id, name: contract.definition.name, type: contract.definition.type }
      : null,
    sla,
    tickets: {
      opened: opened.length,
      resolved: resolved.length,
      byCategory: [...categories.values()].sort((a, b) => (a.category < b.category ? -1 : 1)),
      outOfScope: opened.filter((t) => scopeOf.get(t.id) === 'out_of_scope').length,
      beyondContract: opened.filter((t) => scopeOf.get(t.id) === 'beyond_contract').length,
    },
    mttaSeconds: mean(
      acked.map((t) => (Date.parse(t.acknowledged_at as string) - Date.parse(t.opened_at)) / 1000),
    ),
    mttrSeconds: mean(
      resolved.map((t) => (Date.parse(t.resolved_at as string) - Date.parse(t.opened_at)) / 1000),
    ),
    availability,
    backups,
    security,
    parity,
    usage,
    maintenance: await maintenanceOf(input),
    risksAhead: risks,
    notes,
  };
}

async function maintenanceOf(input: ComputeInput): Promise<ReportData['maintenance']> {
  const to = Math.min(input.period.to.getTime(), input.now.getTime());
  if (to <= input.period.from.getTime()) return [];
  const windows = await windowRunsBetween(input.db, input.tenant, input.period.from, new Date(to));
  return windows
    .filter((w) => w.runs.length > 0)
    .map(({ window: w, runs }) => ({
      application: w.application,
      host: w.host,
      check: w.check_id,
      kind: w.kind,
      reason: w.reason,
      runs,
      coveredSeconds: runs.reduce((s, r) => s + (Date.parse(r.to) - Date.parse(r.from)) / 1000, 0),
    }))
    .sort((a, b) => ((a.runs[0]?.from ?? '') < (b.runs[0]?.from ?? '') ? -1 : 1));
}

type StateRow = {
  host: string;
  check_id: string;
  type: string;
  category: string;
  status: string;
  metrics: string;
};

/** security, backup, performance, drift (the check categories), availability (agent unreachable), request. */
export function categoryOf(t: TicketTable, stateOf: Map<string, StateRow>): string {
  const kind = countedKindOf(t);
  if (kind !== 'corrective') return kind;
  if (t.kind === 'agent_unreachable') return 'availability';
  return stateOf.get(`${t.host}\u0000${t.check_id}`)?.category ?? 'other';
}

async function slaFigures(
  input: ComputeInput,
  opened: TicketTable[],
  asOfMs: number,
): Promise<ReportData['sla']> {
  const contract = await input.contracts.forTenant(input.db, input.tenant);
  const asOf = new Date(asOfMs);
  const empty = (): TargetFigures => ({ met: 0, breached: 0, pending: 0, percent: null });
  const rows = PRIORITIES.map((priority) => ({
    priority,
    tickets: 0,
    response: empty(),
    resolution: empty(),
  }));
  const breaches: ReportData['sla']['breaches'] = [];
  for (const t of opened) {
    const row = rows.find((r) => r.priority === (t.priority ?? 'P4'));
    if (!row) continue;
    row.tickets++;
    const state = clockOf(contract, t).state(asOf, {
      acknowledgedAt: t.acknowledged_at ? new Date(t.acknowledged_at) : undefined,
      resolvedAt: t.resolved_at ? new Date(t.resolved_at) : undefined,
    });
    for (const target of ['response', 'resolution'] as const) {
      const s = state[target];
      const fig = row[target];
      if (s.breached) {
        fig.breached++;
        breaches.push({
          ticketId: t.id,
          title: t.title,
          host: t.host,
          priority: row.priority,
          target,
          dueAt: s.due.toISOString(),
          metAt: s.metAt?.toISOString() ?? null,
        });
      } else if (s.metAt) fig.met++;
      else fig.pending++;
    }
  }
  let met = 0;
  let breached = 0;
  for (const r of rows) {
    for (const fig of [r.response, r.resolution]) {
      fig.percent = pct(fig.met, fig.met + fig.breached);
      met += fig.met;
      breached += fig.breached;
    }
  }
  return { byPriority: rows, breaches, compliancePercent: pct(met, met + breached) };
}

/** Critical spans of a ticket from its timeline: from when it is critical until it is resolved. */
async function criticalSpans(db: Db, t: TicketTable, endMs: number): Promise<Interval[]> {
  const events = await db
    .selectFrom('ticket_events')
    .select(['at', 'kind', 'details'])
    .where('ticket_id', '=', t.id)
    .orderBy('at')
    .orderBy('id')
    .execute();
  const spans: Interval[] = [];
  let since: number | undefined;
  for (const e of events) {
    const at = Date.parse(e.at);
    const d = JSON.parse(e.details) as { severity?: string; status?: string };
    const severity = e.kind === 'severity_raised' ? d.status : d.severity;
    if (
      (e.kind === 'opened' || e.kind === 'reopened' || e.kind === 'severity_raised') &&
      since === undefined
    ) {
      if (severity === 'critical' || (e.kind === 'opened' && t.kind === 'agent_unreachable')) since = at;
    } else if ((e.kind === 'resolved' || e.kind === 'closed') && since !== undefined) {
      // A check-born ticket is resolved as of the recovery, which may precede the event.
      const end = t.kind === 'agent_unreachable' ? at : Math.min(at, Date.parse(t.resolved_at ?? e.at));
      spans.push({ start: since, end: Math.max(since, end) });
      since = undefined;
    }
  }
  if (since !== undefined) spans.push({ start: since, end: endMs });
  return spans;
}

function clipped(spans: Interval[], window: Interval): Interval[] {
  return spans
    .map((s) => ({ start: Math.max(s.start, window.start), end: Math.min(s.end, window.end) }))
    .filter((s) => s.start < s.end);
}

const total = (spans: Interval[]) => spans.reduce((s, i) => s + (i.end - i.start), 0);

async function availabilityFigures(
  input: ComputeInput,
  tickets: TicketTable[],
  stateOf: Map<string, StateRow>,
  asOfMs: number,
): Promise<ReportData['availability']> {
  const agents = await input.db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', input.tenant)
    .orderBy('host')
    .execute();
  // Tickets of the period are not enough: an outage may have begun before it and still run.
  const older = await input.db
    .selectFrom('tickets')
    .selectAll()
    .where('tenant_id', '=', input.tenant)
    .where('opened_at', '<', input.period.from.toISOString())
    .where((eb) =>
      eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>=', input.period.from.toISOString())]),
    )
    .execute();
  const all = [...older, ...tickets.filter((t) => !older.some((o) => o.id === t.id))];
  const hosts: ReportData['availability']['hosts'] = [];
  let monitored = 0;
  let up = 0;
  for (const a of agents) {
    const window = { start: Math.max(input.period.from.getTime(), Date.parse(a.first_seen)), end: asOfMs };
    if (window.end <= window.start) continue;
    const own = all.filter((t) => t.host === a.host);
    const unreachable: Interval[] = [];
    const down: Interval[] = [];
    for (const t of own) {
      if (t.kind === 'agent_unreachable')
        unreachable.push(...clipped(await criticalSpans(input.db, t, asOfMs), window));
      else if (AVAILABILITY_TYPES.includes(stateOf.get(`${t.host}\u0000${t.check_id}`)?.type ?? ''))
        down.push(...clipped(await criticalSpans(input.db, t, asOfMs), window));
    }
    const span = window.end - window.start;
    const unreachableMs = total(mergeIntervals(unreachable));
    const downMs = total(mergeIntervals(down));
    const lost = total(mergeIntervals([...unreachable, ...down]));
    monitored += span;
    up += span - lost;
    hosts.push({
      host: a.host,
      application: a.application,
      environment: a.environment,
      monitoredSeconds: Math.round(span / 1000),
      unreachableSeconds: Math.round(unreachableMs / 1000),
      downSeconds: Math.round(downMs / 1000),
      percent: pct(span - lost, span),
    });
  }
  return { hosts, percent: pct(up, monitored) };
}

async function backupFigures(
  input: ComputeInput,
  states: StateRow[],
  notes: string[],
): Promise<ReportData['backups']> {
  const backupChecks = states.filter((s) => s.category === 'backup');
  let counts: StatusCount[] | undefined;
  if (backupChecks.length > 0 && input.history) counts = await input.history.statusCounts(periodQuery(input));
  else if (backupChecks.length > 0)
    notes.push('backups: no metric history from this metrics store; current state only');
  const checks = backupChecks.map((s) => {
    const c = counts?.find((x) => x.host === s.host && x.check === s.check_id);
    const results = counts ? (c ? c.ok + c.warning + c.critical + c.unknown : 0) : null;
    return {
      host: s.host,
      check: s.check_id,
      type: s.type,
      results,
      ok: counts ? (c?.ok ?? 0) : null,
      failed: counts ? (c ? c.warning + c.critical + c.unknown : 0) : null,
      status: s.status,
    };
  });
  const restores = checks.filter((c) => c.type === 'restore-test');
  return {
    checks,
    restoreTests: counts
      ? {
          runs: restores.reduce((s, c) => s + (c.results ?? 0), 0),
          passed: restores.reduce((s, c) => s + (c.ok ?? 0), 0),
        }
      : { runs: null, passed: null },
  };
}

async function securityFigures(
  input: ComputeInput,
  states: StateRow[],
  notes: string[],
): Promise<ReportData['security']> {
  const current = (type: string, field: string): FieldStat[] =>
    states
      .filter((s) => s.type === type)
      .flatMap((s) => {
        const v = (JSON.parse(s.metrics) as Record<string, number>)[field];
        return v === undefined
          ? []
          : [{ host: s.host, check: s.check_id, instance: '', min: v, max: v, last: v, count: 1 }];
      });
  const stats = async (type: string, field: string): Promise<FieldStat[]> => {
    if (!states.some((s) => s.type === type)) return [];
    if (!input.history) return current(type, field);
    return input.history.fieldStats({
      ...periodQuery(input),
      measurement: type.replace(/[^A-Za-z0-9_]/g, '_'),
      field,
    });
  };
  if (
    !input.history &&
    states.some((s) => s.type === 'package-updates' || CERTIFICATE_TYPES.includes(s.type))
  )
    notes.push('security: no metric history from this metrics store; current values only');
  const updates = (await stats('package-updates', 'security_updates')).map((s) => ({
    host: s.host,
    check: s.check,
    maxPending: s.max,
    lastPending: s.last,
  }));
  const certificates = [];
  for (const type of CERTIFICATE_TYPES) {
    for (const s of await stats(type, 'days_left')) {
      certificates.push({
        host: s.host,
        check: s.check,
        instance: s.instance,
        minDaysLeft: round2(s.min),
        lastDaysLeft: round2(s.last),
        expiring: s.min <= EXPIRING_DAYS,
      });
    }
  }
  return { updates, certificates };
}

function periodQuery(input: ComputeInput) {
  return { tenant: input.tenant, fromMs: input.period.from.getTime(), toMs: input.period.to.getTime() };
}

async function parityFigures(input: ComputeInput): Promise<ReportData['parity']> {
  const apps = await listApplications(input.db, input.tenant);
  const out: ReportData['parity'] = [];
  for (const application of apps) {
    const report = await parityReportFor(input.db, input.tenant, application, input.now);
    for (const c of report?.comparisons ?? []) {
      out.push({ application, environment: c.environment, host: c.host, atParity: c.atParity, ...c.counts });
    }
  }
  return out;
}

async function usageFigures(
  input: ComputeInput,
  c: Contract,
  tickets: TicketTable[],
): Promise<NonNullable<ReportData['usage']>> {
  const from = input.period.from.toISOString();
  const to = input.period.to.toISOString();
  const counted = await contractDb(input.db)
    .selectFrom('contract_tickets')
    .select('ticket_id')
    .where('contract_id', '=', c.row.id)
    .where('scope', '=', 'counted')
    .execute();
  const countedIds = new Set(counted.map((m) => m.ticket_id));
  let ticketBook: NonNullable<ReportData['usage']>['ticketBook'] = null;
  if (c.definition.ticketBook) {
    const entries = await listEntries(input.db, c.row.id);
    const before = entries.filter((e) => e.effective_at < from);
    const during = entries.filter((e) => e.effective_at >= from && e.effective_at < to);
    const sum = (xs: typeof entries) => xs.reduce((s, e) => s + Number(e.units), 0);
    ticketBook = {
      opening: sum(before),
      credited: sum(during.filter((e) => e.kind === 'initial' || e.kind === 'top_up')),
      consumed: -sum(during.filter((e) => e.kind === 'deduction')),
      corrections: sum(during.filter((e) => e.kind === 'correction')),
      closing: sum(before) + sum(during),
      deductions: during.filter((e) => e.kind === 'deduction').length,
    };
  }
  let regie: NonNullable<ReportData['usage']>['regie'] = null;
  if (c.definition.regie) {
    const logs = await listWorkLogs(input.db, { tenantId: input.tenant, from, to });
    const apps = c.definition.scope.applications;
    const scoped = logs.filter((l) => apps.length === 0 || apps.includes(l.application));
    // A calendar month has the contracted days; another period its share by days (of a 30-day month).
    const days = (input.period.to.getTime() - input.period.from.getTime()) / 86_400_000;
    const contracted = /^\d{4}-\d{2}$/.test(input.period.label)
      ? c.definition.regie.daysPerMonth
      : round2((c.definition.regie.daysPerMonth * days) / 30);
    regie = {
      ...timeTotals(scoped, c.definition.regie.hoursPerDay, contracted),
      hoursPerDay: c.definition.regie.hoursPerDay,
    };
  }
  const inPeriodCounted = tickets.filter(
    (t) => countedIds.has(t.id) && inPeriod(t.opened_at, from, to),
  ).length;
  return { ticketBook, regie, counted: inPeriodCounted };
}
