// Forecast tickets (kind `forecast`), through the collector's ticket rows, timeline, SLA due times and
// notifications: opened when a series will cross its limit within the rule's horizon (or grows like a leak),
// kept up to date as the prediction moves (a timeline entry only when it moves materially), resolved when the
// trend recedes, and closed, linked to the threshold ticket, as soon as the threshold ticket of the same check
// and instance is open: one problem, one ticket.
//
// Priority by horizon (then lowered outside production), see README.md:
//
//   predicted crossing in     production   iso-production   staging
//   under 24 h                    P2            P3            P4
//   under 7 days                  P3            P4            P4
//   later (within horizon)        P4            P4            P4
//   steady growth (a leak)        P3            P4            P4
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import {
  CLOSED_STATUSES,
  findOpenTicket,
  findReopenable,
  insertTicket,
  ticketTimeline,
  updateTicket,
} from '../store/tickets.js';
import { type DueTimes, SYSTEM_ACTOR, timelineEvent } from '../tickets/apply.js';
import { dedupKey } from '../tickets/lifecycle.js';
import type { Notifier } from '../tickets/notifier.js';
import { PRIORITIES, type Priority } from '../tickets/priority.js';
import { AT_RISK, formatSeconds, type SeriesForecast } from './forecast.js';
import type { ForecastTable } from './migration.js';
import type { ForecastRule, SeriesScope } from './rules.js';

export const FORECAST_KIND = 'forecast';
export const FORECAST_ACTOR = SYSTEM_ACTOR;
const DAY_S = 86_400;

export interface ForecastTicketDeps {
  newId: () => string;
  now: () => Date;
  reopenWindowMs: number;
  dueTimes: DueTimes;
  notifier: Notifier;
}

/** The series, its rule and its forecast: what a forecast ticket is about. */
export interface ForecastSubject extends SeriesScope {
  metric: string;
  rule: ForecastRule;
  /** The rule's label, filled: `/var full`. */
  label: string;
  forecast: SeriesForecast;
}

export type ForecastTicketEffect =
  | { kind: 'opened' | 'reopened' | 'moved' | 'resolved'; ticket: TicketTable }
  | { kind: 'superseded'; ticket: TicketTable; threshold: TicketTable };

/** What the forecast row remembers about its ticket after a sync. */
export interface TicketMemory {
  ticketId: string | null;
  notedPredictedAt: string | null;
  clearRuns: number;
}

/** The ticket's check id: `forecast:<check>:<metric>`, so its key never collides with the check's own. */
export function forecastCheckId(check: string, metric: string): string {
  return `${FORECAST_KIND}:${check}:${metric}`;
}

const ROWS: ReadonlyArray<[number, Record<string, Priority>]> = [
  [DAY_S, { production: 'P2', 'iso-production': 'P3', staging: 'P4' }],
  [7 * DAY_S, { production: 'P3', 'iso-production': 'P4', staging: 'P4' }],
];

/** The priority table above; `seconds` undefined is a growth without a crossing. */
export function forecastPriority(seconds: number | undefined, environment: string): Priority {
  const row = seconds === undefined ? ROWS[1] : ROWS.find(([limit]) => seconds < limit);
  return row?.[1][environment] ?? 'P4';
}

function rate(perSecond: number, metric: string): string {
  const perHour = perSecond * 3600;
  if (/_bytes($|@)/.test(metric)) return `${(perHour / 1_048_576).toPrecision(3)} MiB/h`;
  return `${perHour.toPrecision(3)}/h`;
}

export function forecastTitle(s: ForecastSubject): string {
  const f = s.forecast;
  if (f.verdict === 'growing' && f.fit)
    return `${s.label} (+${rate(f.fit.slopePerSecond, s.metric)} over ${formatSeconds(s.rule.windowMs / 1000)}) on ${s.host}`;
  return `${s.label} in ${formatSeconds(f.seconds ?? 0)} on ${s.host}`;
}

export function forecastMessage(s: ForecastSubject): string {
  const f = s.forecast;
  const series = s.rule.limitMetric ? `${s.metric} − ${s.rule.limitMetric}` : s.metric;
  const fit = f.fit
    ? `, ${f.fit.slopePerSecond >= 0 ? 'rising' : 'falling'} ${rate(Math.abs(f.fit.slopePerSecond), s.metric)} ` +
      `(Theil–Sen fit of ${f.fit.points} points over ${formatSeconds((f.fit.to - f.fit.from) / 1000)}, quality ` +
      `${f.fit.quality.toFixed(2)})`
    : '';
  const when =
    f.predictedAt !== undefined
      ? `; reaches ${f.limit} at ${new Date(f.predictedAt).toISOString()} (in ${formatSeconds(f.seconds ?? 0)})`
      : f.growthPercent !== undefined
        ? `; grew ${f.growthPercent.toFixed(1)} % over ${formatSeconds(s.rule.windowMs / 1000)}`
        : '';
  return `${series} at ${f.value ?? '?'}${fit}${when}. Rule ${s.rule.id}.`;
}

function fitDetails(s: ForecastSubject): Record<string, unknown> {
  const f = s.forecast;
  return {
    rule: s.rule.id,
    metric: s.metric,
    verdict: f.verdict,
    predictedAt: f.predictedAt === undefined ? null : new Date(f.predictedAt).toISOString(),
    seconds: f.seconds ?? null,
    fit: f.fit
      ? {
          slopePerSecond: f.fit.slopePerSecond,
          windowSeconds: s.rule.windowMs / 1000,
          points: f.fit.points,
          quality: f.fit.quality,
        }
      : null,
  };
}

function event(
  db: Db,
  deps: ForecastTicketDeps,
  ticketId: string,
  kind: string,
  details: Record<string, unknown>,
): Promise<void> {
  return timelineEvent(db, deps, ticketId, kind, FORECAST_ACTOR, details);
}

/**
 * Whether an open check ticket is about this instance of the check: the series has no instance, the
 * ticket's message names it (`/var 91.2% used`, `used_percent@/var = 96`), or a finding of its timeline is
 * on a metric of that instance. A filesystem ticket about `/` does not stand for a forecast about `/var`.
 */
export async function coversInstance(db: Db, t: TicketTable, instance: string | undefined): Promise<boolean> {
  if (instance === undefined) return true;
  if (t.message.startsWith(`${instance} `) || t.message.includes(`@${instance} `)) return true;
  for (const e of await ticketTimeline(db, t.id)) {
    const findings = (JSON.parse(e.details) as { findings?: Array<{ metric?: string }> }).findings ?? [];
    if (findings.some((f) => f.metric?.endsWith(`@${instance}`))) return true;
  }
  return false;
}

/** The open threshold ticket (kind check or flapping) of the same check and instance, if any. */
export async function thresholdTicketFor(
  db: Db,
  s: Pick<SeriesScope, 'tenant' | 'host' | 'check' | 'instance'>,
): Promise<TicketTable | undefined> {
  const t = await findOpenTicket(db, dedupKey(s.tenant, s.host, s.check));
  if (!t || (t.kind !== undefined && t.kind !== 'check' && t.kind !== 'flapping')) return undefined;
  return (await coversInstance(db, t, s.instance)) ? t : undefined;
}

/** Closes a forecast ticket in favour of the threshold ticket, linking the two in both timelines. */
export async function supersede(
  db: Db,
  forecastTicket: TicketTable,
  threshold: TicketTable,
  deps: ForecastTicketDeps,
): Promise<ForecastTicketEffect> {
  const at = deps.now().toISOString();
  const closed: TicketTable = {
    ...forecastTicket,
    status: 'closed',
    resolved_at: at,
    closed_at: at,
    updated_at: at,
  };
  await updateTicket(db, forecastTicket.id, {
    status: 'closed',
    resolved_at: at,
    closed_at: at,
    updated_at: at,
  });
  await event(db, deps, forecastTicket.id, 'superseded', {
    by: threshold.id,
    reason: 'the threshold ticket of the same check is open',
  });
  await event(db, deps, threshold.id, 'forecast_linked', {
    forecastTicket: forecastTicket.id,
    title: forecastTicket.title,
    forecastOpenedAt: forecastTicket.opened_at,
  });
  await deps.notifier.notify(db, closed, 'closed', { supersededBy: threshold.id });
  return { kind: 'superseded', ticket: closed, threshold };
}

/** Whether a ticket's prediction moved enough to be worth a timeline entry: 10 % of the time left, 1 min at least. */
export function movedMaterially(noted: string | null, predictedAt: number | undefined, now: number): boolean {
  if (predictedAt === undefined) return false;
  if (noted === null) return true;
  const before = Date.parse(noted);
  const remaining = Math.max(0, before - now);
  return Math.abs(predictedAt - before) > Math.max(60_000, 0.1 * remaining);
}

/**
 * Brings the forecast ticket of one series in line with its latest forecast. `memory` is what the series'
 * forecast row remembered (undefined for a new series). Runs in the caller's transaction.
 */
export async function syncForecastTicket(
  db: Db,
  s: ForecastSubject,
  memory: Pick<ForecastTable, 'ticket_id' | 'noted_predicted_at' | 'clear_runs'> | undefined,
  deps: ForecastTicketDeps,
): Promise<{ effect: ForecastTicketEffect | undefined; memory: TicketMemory }> {
  const key = dedupKey(s.tenant, s.host, forecastCheckId(s.check, s.metric));
  const open = await findOpenTicket(db, key);
  const f = s.forecast;
  const atRisk =
    AT_RISK.includes(f.verdict) ||
    // Hysteresis: an open ticket stays open until the crossing moves past 1.5 × the horizon.
    (open !== undefined &&
      f.verdict === 'beyond_horizon' &&
      (f.seconds ?? Number.POSITIVE_INFINITY) <= (1.5 * s.rule.horizonMs) / 1000);
  const kept: TicketMemory = {
    ticketId: open?.id ?? memory?.ticket_id ?? null,
    notedPredictedAt: memory?.noted_predicted_at ?? null,
    clearRuns: 0,
  };
  if (!open && !atRisk) return { effect: undefined, memory: kept };
  const threshold = await thresholdTicketFor(db, s);
  if (threshold) {
    const effect = open ? await supersede(db, open, threshold, deps) : undefined;
    return { effect, memory: { ...kept, notedPredictedAt: null } };
  }
  if (!open) return openTicket(db, s, key, deps);
  if (!atRisk) {
    const clearRuns = (memory?.clear_runs ?? 0) + 1;
    // A reset (cleanup, resize) ends the trend at once; anything else must hold for two evaluations.
    if (f.verdict !== 'receded' && clearRuns < 2)
      return { effect: undefined, memory: { ...kept, clearRuns } };
    return { effect: await resolve(db, s, open, deps), memory: { ...kept, notedPredictedAt: null } };
  }
  return updateOpen(db, s, open, kept, deps);
}

async function openTicket(
  db: Db,
  s: ForecastSubject,
  key: string,
  deps: ForecastTicketDeps,
): Promise<{ effect: ForecastTicketEffect; memory: TicketMemory }> {
  const now = deps.now();
  const at = now.toISOString();
  const f = s.forecast;
  const priority = forecastPriority(f.verdict === 'growing' ? undefined : f.seconds, s.environment);
  const noted = f.predictedAt === undefined ? null : new Date(f.predictedAt).toISOString();
  const common = {
    status: 'open',
    severity: 'warning',
    title: forecastTitle(s),
    message: forecastMessage(s),
    priority,
    last_seen_at: at,
    resolved_at: null,
    closed_at: null,
    updated_at: at,
  };
  const recent = await findReopenable(db, key, new Date(now.getTime() - deps.reopenWindowMs).toISOString());
  if (recent) {
    const ticket: TicketTable = {
      ...recent,
      ...common,
      occurrences: recent.occurrences + 1,
      reopened: (recent.reopened ?? 0) + 1,
    };
    const { id: _i, tenant_id: _t, dedup_key: _k, ...changes } = ticket;
    await updateTicket(db, recent.id, changes);
    await event(db, deps, recent.id, 'reopened', { priority, reason: f.reason, ...fitDetails(s) });
    await deps.notifier.notify(db, ticket, 'opened', { forecast: true });
    return {
      effect: { kind: 'reopened', ticket },
      memory: { ticketId: recent.id, notedPredictedAt: noted, clearRuns: 0 },
    };
  }
  const due = await deps.dueTimes(db, s.tenant, priority, now);
  const ticket: TicketTable = {
    ...common,
    id: deps.newId(),
    tenant_id: s.tenant,
    host: s.host,
    check_id: forecastCheckId(s.check, s.metric),
    dedup_key: key,
    occurrences: 1,
    opened_at: at,
    kind: FORECAST_KIND,
    support_level: 'N1',
    environment: s.environment,
    application: s.application,
    response_due_at: due.responseDue.toISOString(),
    resolution_due_at: due.resolutionDue.toISOString(),
  };
  await insertTicket(db, ticket);
  await event(db, deps, ticket.id, 'opened', {
    priority,
    reason: f.reason,
    checkType: s.rule.type,
    check: s.check,
    responseDue: ticket.response_due_at,
    resolutionDue: ticket.resolution_due_at,
    ...fitDetails(s),
  });
  await deps.notifier.notify(db, ticket, 'opened', { forecast: true });
  return {
    effect: { kind: 'opened', ticket },
    memory: { ticketId: ticket.id, notedPredictedAt: noted, clearRuns: 0 },
  };
}

async function updateOpen(
  db: Db,
  s: ForecastSubject,
  open: TicketTable,
  kept: TicketMemory,
  deps: ForecastTicketDeps,
): Promise<{ effect: ForecastTicketEffect | undefined; memory: TicketMemory }> {
  const now = deps.now();
  const at = now.toISOString();
  const f = s.forecast;
  const computed = forecastPriority(f.verdict === 'growing' ? undefined : f.seconds, s.environment);
  // A ticket's priority rises as the crossing nears; it never drops while the ticket is open.
  const current = (open.priority ?? 'P4') as Priority;
  const raised = PRIORITIES.indexOf(computed) < PRIORITIES.indexOf(current);
  const priority = raised ? computed : current;
  const moved = movedMaterially(kept.notedPredictedAt, f.predictedAt, now.getTime());
  const changes: Partial<TicketTable> = {
    title: forecastTitle(s),
    message: forecastMessage(s),
    last_seen_at: at,
    priority,
  };
  if (moved || raised) changes.updated_at = at;
  await updateTicket(db, open.id, changes);
  const ticket: TicketTable = { ...open, ...changes };
  if (!moved && !raised) return { effect: undefined, memory: kept };
  await event(db, deps, open.id, raised ? 'priority_raised' : 'forecast_moved', {
    from: kept.notedPredictedAt,
    to: f.predictedAt === undefined ? null : new Date(f.predictedAt).toISOString(),
    priority,
    ...fitDetails(s),
  });
  if (raised) await deps.notifier.notify(db, ticket, 'updated', { priority, forecast: true });
  const noted = f.predictedAt === undefined ? kept.notedPredictedAt : new Date(f.predictedAt).toISOString();
  return { effect: { kind: 'moved', ticket }, memory: { ...kept, notedPredictedAt: noted } };
}

async function resolve(
  db: Db,
  s: ForecastSubject,
  open: TicketTable,
  deps: ForecastTicketDeps,
): Promise<ForecastTicketEffect> {
  const at = deps.now().toISOString();
  await updateTicket(db, open.id, { status: 'resolved', resolved_at: at, updated_at: at });
  await event(db, deps, open.id, 'resolved', {
    reason: `the trend receded: ${s.forecast.reason}`,
    ...fitDetails(s),
  });
  const ticket: TicketTable = { ...open, status: 'resolved', resolved_at: at, updated_at: at };
  await deps.notifier.notify(db, ticket, 'resolved', { forecast: true });
  return { kind: 'resolved', ticket };
}

/**
 * A threshold ticket just opened (the ingest's effect): close every open forecast ticket of the same check
 * and instance in its favour, without waiting for the next evaluation.
 */
export async function supersedeByThreshold(
  db: Db,
  threshold: TicketTable,
  deps: ForecastTicketDeps,
): Promise<ForecastTicketEffect[]> {
  if (threshold.kind !== undefined && threshold.kind !== 'check' && threshold.kind !== 'flapping') return [];
  const prefix = `${FORECAST_KIND}:${threshold.check_id}:`;
  const candidates = await db
    .selectFrom('tickets')
    .selectAll()
    .where('tenant_id', '=', threshold.tenant_id)
    .where('host', '=', threshold.host)
    .where('kind', '=', FORECAST_KIND)
    .where('status', 'not in', CLOSED_STATUSES)
    .execute();
  const out: ForecastTicketEffect[] = [];
  for (const t of candidates) {
    if (!t.check_id.startsWith(prefix)) continue;
    const metric = t.check_id.slice(prefix.length);
    const at = metric.indexOf('@');
    const instance = at < 0 ? undefined : metric.slice(at + 1);
    if (await coversInstance(db, threshold, instance)) out.push(await supersede(db, t, threshold, deps));
  }
  return out;
}
