// The ticket rules as pure functions: given what the store holds for a dedup key (its open ticket, the latest
// one resolved recently) and a check's confirmed status, what changes: a ticket to insert or update, timeline
// rows, and the effect to announce. The ingest hot path plans a whole group of results against rows it read
// in one statement and writes the plans in a few multi-row statements; `apply.ts` runs the same plans one at
// a time through Kysely for the other callers (drift, forecasts). One source of truth for the rules.
import type { Status } from '@vigie/shared';
import type { MaintenanceQuery } from '../maintenance/book.js';
import type { Finding } from '../rules/thresholds.js';
import type { TicketEventTable, TicketTable } from '../store/schema.js';
import { decideTicketAction, dedupKey } from './lifecycle.js';
import { type Priority, priorityFor } from './priority.js';

export interface StatusChange {
  tenantId: string;
  host: string;
  environment: string;
  application: string;
  checkId: string;
  checkType: string;
  /** The confirmed status; `ok` resolves. */
  status: Status;
  message: string;
  observedAt: string;
  resultId: string;
  findings: Finding[];
  /** Which threshold rule applied to each metric. */
  applied?: Record<string, string>;
  /** The consecutive failing results that confirmed the state: the occurrence count of a new ticket. */
  occurrencesAtOpen?: number;
  /** Late data (an agent catching up after being unreachable) may update or resolve, never open. */
  stale?: boolean;
}

export type TicketEffect =
  | { kind: 'opened'; ticket: TicketTable }
  | { kind: 'reopened'; ticket: TicketTable }
  | { kind: 'occurrence'; ticket: TicketTable; raised: boolean }
  | { kind: 'flapping'; ticket: TicketTable; started: boolean }
  | { kind: 'resolved'; ticket: TicketTable };

/** What the store holds for one dedup key, as far as the rules need it. */
export interface KeyView {
  /** The ticket that is neither resolved nor closed. */
  open?: TicketTable;
  /** The most recently resolved ticket (a candidate for reopening within the reopen window). */
  lastResolved?: TicketTable;
}

export interface PlanDeps {
  newId: () => string;
  now: () => Date;
  reopenWindowMs: number;
  /** Maintenance windows in force: no ticket opens (or reopens) under one. Cheap: held in memory. */
  maintenance?: MaintenanceQuery;
  /** Due times of a new ticket under its tenant's contract (read before planning: planning never waits). */
  dueTimes: (
    tenantId: string,
    priority: Priority,
    openedAt: Date,
  ) => { responseDue: Date; resolutionDue: Date };
}

/** One key's changes: rows to write, and the view after them (the input of the key's next plan). */
export interface TicketPlan {
  view: KeyView;
  inserted?: TicketTable;
  /** Changed columns of an existing ticket. */
  updated?: { id: string; changes: Partial<TicketTable> };
  events: TicketEventTable[];
  effect?: TicketEffect;
}

export const SYSTEM_ACTOR = 'vigie';

function event(
  deps: Pick<PlanDeps, 'newId' | 'now'>,
  ticketId: string,
  kind: string,
  details: Record<string, unknown>,
): TicketEventTable {
  return {
    id: deps.newId(),
    ticket_id: ticketId,
    at: deps.now().toISOString(),
    kind,
    actor: SYSTEM_ACTOR,
    details: JSON.stringify(details),
  };
}

const title = (change: StatusChange, severity: string) => `${change.checkId} ${severity} on ${change.host}`;

/** Applies the confirmed status to the key's ticket: open (or reopen), count an occurrence, raise, resolve. */
export function planStatus(view: KeyView, change: StatusChange, deps: PlanDeps): TicketPlan {
  const action = decideTicketAction(view.open, change.status);
  const at = deps.now().toISOString();
  switch (action.kind) {
    case 'none':
      return { view, events: [] };
    case 'open': {
      if (change.stale) return { view, events: [] };
      // maintenance: no ticket opens (or reopens) while a window covers the check; its first failure after the
      // window does, since the hard state stays failing.
      const scope = {
        tenantId: change.tenantId,
        application: change.application,
        host: change.host,
        checkId: change.checkId,
      };
      if (deps.maintenance?.activeWindow(scope, new Date(change.observedAt))) return { view, events: [] };
      const priority = priorityFor(action.severity, change.environment);
      const since = Date.parse(change.observedAt) - deps.reopenWindowMs;
      const recent = view.lastResolved;
      if (
        recent &&
        recent.status === 'resolved' &&
        recent.resolved_at &&
        Date.parse(recent.resolved_at) >= since
      ) {
        const ticket: TicketTable = {
          ...recent,
          status: 'open',
          severity: action.severity,
          priority,
          message: change.message,
          occurrences: recent.occurrences + 1,
          last_seen_at: change.observedAt,
          resolved_at: null,
          reopened: (recent.reopened ?? 0) + 1,
          title: title(change, action.severity),
          updated_at: at,
        };
        const { id: _id, tenant_id: _t, dedup_key: _k, ...changes } = ticket;
        return {
          view: { open: ticket, lastResolved: undefined },
          updated: { id: recent.id, changes },
          events: [
            event(deps, recent.id, 'reopened', {
              severity: action.severity,
              priority,
              previousResolution: recent.resolved_at,
              resultId: change.resultId,
              findings: change.findings,
            }),
          ],
          effect: { kind: 'reopened', ticket },
        };
      }
      const opened = new Date(change.observedAt);
      const due = deps.dueTimes(change.tenantId, priority, opened);
      const ticket: TicketTable = {
        id: deps.newId(),
        tenant_id: change.tenantId,
        host: change.host,
        check_id: change.checkId,
        dedup_key: dedupKey(change.tenantId, change.host, change.checkId),
        status: 'open',
        severity: action.severity,
        title: title(change, action.severity),
        message: change.message,
        occurrences: Math.max(1, change.occurrencesAtOpen ?? 1),
        opened_at: change.observedAt,
        last_seen_at: change.observedAt,
        resolved_at: null,
        updated_at: at,
        kind: 'check',
        priority,
        reopened: 0,
        support_level: 'N1',
        environment: change.environment,
        application: change.application,
        response_due_at: due.responseDue.toISOString(),
        resolution_due_at: due.resolutionDue.toISOString(),
      };
      return {
        view: { open: ticket, lastResolved: view.lastResolved },
        inserted: ticket,
        events: [
          event(deps, ticket.id, 'opened', {
            severity: action.severity,
            priority,
            message: change.message,
            resultId: change.resultId,
            checkType: change.checkType,
            rules: change.applied ?? {},
            findings: change.findings,
            responseDue: ticket.response_due_at,
            resolutionDue: ticket.resolution_due_at,
          }),
        ],
        effect: { kind: 'opened', ticket },
      };
    }
    case 'occurrence': {
      const t = view.open as TicketTable;
      const priority = action.raised
        ? priorityFor(action.severity, change.environment)
        : (t.priority ?? 'P4');
      const changes = {
        occurrences: t.occurrences + 1,
        severity: action.severity,
        priority,
        message: change.message,
        last_seen_at: change.observedAt,
        title: action.raised ? title(change, action.severity) : t.title,
        updated_at: at,
      };
      const ticket: TicketTable = { ...t, ...changes };
      return {
        view: { ...view, open: ticket },
        updated: { id: t.id, changes },
        events: [
          event(deps, t.id, action.raised ? 'severity_raised' : 'occurrence', {
            status: change.status,
            priority,
            occurrences: ticket.occurrences,
            resultId: change.resultId,
            findings: change.findings,
          }),
        ],
        effect: { kind: 'occurrence', ticket, raised: action.raised },
      };
    }
    case 'resolve': {
      const t = view.open as TicketTable;
      const changes = { status: 'resolved', resolved_at: change.observedAt, updated_at: at };
      const ticket: TicketTable = { ...t, ...changes };
      return {
        view: { open: undefined, lastResolved: ticket },
        updated: { id: t.id, changes },
        events: [
          event(deps, t.id, 'resolved', {
            reason: 'check recovered',
            recoveredAt: change.observedAt,
            resultId: change.resultId,
          }),
        ],
        effect: { kind: 'resolved', ticket },
      };
    }
  }
}

/** Marks the key's ticket as flapping (opening one if needed), or back to a normal check ticket. */
export function planFlapping(
  view: KeyView,
  change: StatusChange,
  started: boolean,
  deps: PlanDeps,
): TicketPlan {
  const at = deps.now().toISOString();
  const open = view.open;
  if (started) {
    const flapTitle = `${change.checkId} flapping on ${change.host}`;
    if (open) {
      const changes = { kind: 'flapping', updated_at: at, title: flapTitle };
      const ticket = { ...open, ...changes };
      return {
        view: { ...view, open: ticket },
        updated: { id: open.id, changes },
        events: [event(deps, open.id, 'flapping_started', { resultId: change.resultId })],
        effect: { kind: 'flapping', ticket, started: true },
      };
    }
    const severity: Status = change.status === 'ok' ? 'warning' : change.status;
    const first = planStatus(view, { ...change, status: severity }, deps);
    const opened = first.effect && 'ticket' in first.effect ? first.effect.ticket : undefined;
    if (!opened) return first;
    const ticket: TicketTable = { ...opened, kind: 'flapping', title: flapTitle };
    return {
      view: { ...first.view, open: ticket },
      ...(first.inserted ? { inserted: ticket } : {}),
      ...(first.updated
        ? {
            updated: {
              id: first.updated.id,
              changes: { ...first.updated.changes, kind: 'flapping', title: flapTitle },
            },
          }
        : {}),
      events: [...first.events, event(deps, ticket.id, 'flapping_started', { resultId: change.resultId })],
      effect: { kind: 'flapping', ticket, started: true },
    };
  }
  if (!open) return { view, events: [] };
  const changes = {
    kind: 'check',
    updated_at: at,
    title: `${change.checkId} ${open.severity} on ${change.host}`,
  };
  const ticket = { ...open, ...changes };
  return {
    view: { ...view, open: ticket },
    updated: { id: open.id, changes },
    events: [event(deps, open.id, 'flapping_ended', { resultId: change.resultId })],
    effect: { kind: 'flapping', ticket, started: false },
  };
}

/** What a check's transition asks of its ticket, in order (see `planIntents`). */
export type TicketIntent =
  | { kind: 'status'; change: StatusChange }
  | { kind: 'flapping'; started: boolean; change: StatusChange };

/**
 * The ticket work of one result, from its confirmation transition: while flapping, failures count on the one
 * flapping ticket and nothing opens or resolves; otherwise the hard state drives open, occurrence and resolve.
 */
interface IntentTransition {
  hard: Status;
  flapping: boolean;
  hardChanged: boolean;
  flapStarted: boolean;
  flapEnded: boolean;
}

/** Whether `ticketIntents` has any work for this transition (most results, a steady ok, have none). */
export function wantsTicketWork(t: IntentTransition, status: Status): boolean {
  if (t.flapStarted || t.flapEnded) return true;
  if (t.flapping) return status !== 'ok';
  return (t.hard !== 'ok' && status !== 'ok') || (t.hard === 'ok' && t.hardChanged);
}

export function ticketIntents(
  transition: IntentTransition,
  status: Status,
  change: StatusChange,
): TicketIntent[] {
  const out: TicketIntent[] = [];
  if (transition.flapStarted || transition.flapEnded)
    out.push({ kind: 'flapping', started: transition.flapStarted, change });
  if (transition.flapping) {
    if (status !== 'ok' && !transition.flapStarted) out.push({ kind: 'status', change });
  } else if (transition.hard !== 'ok' && status !== 'ok') {
    out.push({ kind: 'status', change: { ...change, status: transition.hard } });
  } else if (transition.hard === 'ok' && (transition.hardChanged || transition.flapEnded)) {
    out.push({ kind: 'status', change: { ...change, status: 'ok' } });
  }
  return out;
}

export function planIntent(view: KeyView, intent: TicketIntent, deps: PlanDeps): TicketPlan {
  return intent.kind === 'flapping'
    ? planFlapping(view, intent.change, intent.started, deps)
    : planStatus(view, intent.change, deps);
}

/** Which ticket effects are worth a notification (a plain repeat is not; a raised severity is). */
export function notificationFor(effect: TicketEffect): 'opened' | 'updated' | 'resolved' | undefined {
  switch (effect.kind) {
    case 'opened':
    case 'reopened':
      return 'opened';
    case 'occurrence':
      return effect.raised ? 'updated' : undefined;
    case 'flapping':
      return 'updated';
    case 'resolved':
      return 'resolved';
  }
}
