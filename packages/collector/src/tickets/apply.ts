// Applies a check's confirmed (hard) status to its ticket inside the caller's transaction: open, count an
// occurrence, raise severity and priority, reopen within the reopen window, mark or clear flapping, resolve.
// Every change goes to the ticket's timeline with who made it.
import type { Status } from '@vigie/shared';
import type { MaintenanceQuery } from '../maintenance/book.js';
import type { Finding } from '../rules/thresholds.js';
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import {
  addTicketEvent,
  findOpenTicket,
  findReopenable,
  insertTicket,
  updateTicket,
} from '../store/tickets.js';
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

/** Due times of a new ticket, from the tenant's contract (see sla/). */
export type DueTimes = (
  db: Db,
  tenantId: string,
  priority: Priority,
  openedAt: Date,
) => Promise<{ responseDue: Date; resolutionDue: Date }>;

export interface ApplyDeps {
  newId: () => string;
  now: () => Date;
  reopenWindowMs: number;
  dueTimes: DueTimes;
  /** Maintenance windows in force (maintenance/book.ts); none when absent. */
  maintenance?: MaintenanceQuery;
}

export const SYSTEM_ACTOR = 'vigie';

export async function timelineEvent(
  db: Db,
  deps: Pick<ApplyDeps, 'newId' | 'now'>,
  ticketId: string,
  kind: string,
  actor: string,
  details: Record<string, unknown>,
): Promise<void> {
  await addTicketEvent(db, {
    id: deps.newId(),
    ticket_id: ticketId,
    at: deps.now().toISOString(),
    kind,
    actor,
    details: JSON.stringify(details),
  });
}

export async function applyStatus(
  db: Db,
  change: StatusChange,
  deps: ApplyDeps,
): Promise<TicketEffect | undefined> {
  const key = dedupKey(change.tenantId, change.host, change.checkId);
  const open = await findOpenTicket(db, key);
  const action = decideTicketAction(open, change.status);
  const at = deps.now().toISOString();
  const event = (ticketId: string, kind: string, details: Record<string, unknown>) =>
    timelineEvent(db, deps, ticketId, kind, SYSTEM_ACTOR, details);
  const title = (severity: string) => `${change.checkId} ${severity} on ${change.host}`;
  switch (action.kind) {
    case 'none':
      return undefined;
    case 'open': {
      if (change.stale) return undefined;
      // maintenance: no ticket opens (or reopens) while a window covers the check; its first failure after the
      // window does, since the hard state stays failing.
      const scope = {
        tenantId: change.tenantId,
        application: change.application,
        host: change.host,
        checkId: change.checkId,
      };
      if (deps.maintenance?.activeWindow(scope, new Date(change.observedAt))) return undefined;
      const priority = priorityFor(action.severity, change.environment);
      const since = new Date(Date.parse(change.observedAt) - deps.reopenWindowMs).toISOString();
      const recent = await findReopenable(db, key, since);
      if (recent) {
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
          title: title(action.severity),
          updated_at: at,
        };
        const { id: _id, tenant_id: _t, dedup_key: _k, ...changes } = ticket;
        await updateTicket(db, recent.id, changes);
        await event(recent.id, 'reopened', {
          severity: action.severity,
          priority,
          previousResolution: recent.resolved_at,
          resultId: change.resultId,
          findings: change.findings,
        });
        return { kind: 'reopened', ticket };
      }
      const opened = new Date(change.observedAt);
      const due = await deps.dueTimes(db, change.tenantId, priority, opened);
      const ticket: TicketTable = {
        id: deps.newId(),
        tenant_id: change.tenantId,
        host: change.host,
        check_id: change.checkId,
        dedup_key: key,
        status: 'open',
        severity: action.severity,
        title: title(action.severity),
        message: change.message,
        occurrences: Math.max(1, change.occurrencesAtOpen ?? 1),
        opened_at: change.observedAt,
        last_seen_at: change.observedAt,
        resolved_at: null,
        updated_at: at,
        kind: 'check',
        priority,
        support_level: 'N1',
        environment: change.environment,
        application: change.application,
        response_due_at: due.responseDue.toISOString(),
        resolution_due_at: due.resolutionDue.toISOString(),
      };
      await insertTicket(db, ticket);
      await event(ticket.id, 'opened', {
        severity: action.severity,
        priority,
        message: change.message,
        resultId: change.resultId,
        checkType: change.checkType,
        rules: change.applied ?? {},
        findings: change.findings,
        responseDue: ticket.response_due_at,
        resolutionDue: ticket.resolution_due_at,
      });
      return { kind: 'opened', ticket };
    }
    case 'occurrence': {
      const t = open as TicketTable;
      const priority = action.raised
        ? priorityFor(action.severity, change.environment)
        : (t.priority ?? 'P4');
      const ticket: TicketTable = {
        ...t,
        occurrences: t.occurrences + 1,
        severity: action.severity,
        priority,
        message: change.message,
        last_seen_at: change.observedAt,
        title: action.raised ? title(action.severity) : t.title,
        updated_at: at,
      };
      await updateTicket(db, t.id, {
        occurrences: ticket.occurrences,
        severity: ticket.severity,
        priority,
        message: ticket.message,
        last_seen_at: ticket.last_seen_at,
        title: ticket.title,
        updated_at: at,
      });
      await event(t.id, action.raised ? 'severity_raised' : 'occurrence', {
        status: change.status,
        priority,
        occurrences: ticket.occurrences,
        resultId: change.resultId,
        findings: change.findings,
      });
      return { kind: 'occurrence', ticket, raised: action.raised };
    }
    case 'resolve': {
      const t = open as TicketTable;
      const ticket: TicketTable = {
        ...t,
        status: 'resolved',
        resolved_at: change.observedAt,
        updated_at: at,
      };
      await updateTicket(db, t.id, { status: 'resolved', resolved_at: change.observedAt, updated_at: at });
      await event(t.id, 'resolved', {
        reason: 'check recovered',
        recoveredAt: change.observedAt,
        resultId: change.resultId,
      });
      return { kind: 'resolved', ticket };
    }
  }
}

/** Marks the key's ticket as flapping (opening one if needed), or back to a normal check ticket. */
export async function applyFlapping(
  db: Db,
  change: StatusChange,
  started: boolean,
  deps: ApplyDeps,
): Promise<TicketEffect | undefined> {
  const key = dedupKey(change.tenantId, change.host, change.checkId);
  const open = await findOpenTicket(db, key);
  const at = deps.now().toISOString();
  if (started) {
    if (open) {
      await updateTicket(db, open.id, {
        kind: 'flapping',
        updated_at: at,
        title: `${change.checkId} flapping on ${change.host}`,
      });
      await timelineEvent(db, deps, open.id, 'flapping_started', SYSTEM_ACTOR, { resultId: change.resultId });
      return { kind: 'flapping', ticket: { ...open, kind: 'flapping' }, started: true };
    }
    const severity: Status = change.status === 'ok' ? 'warning' : change.status;
    const effect = await applyStatus(db, { ...change, status: severity }, deps);
    const ticket = effect && 'ticket' in effect ? effect.ticket : undefined;
    if (!ticket) return effect;
    await updateTicket(db, ticket.id, {
      kind: 'flapping',
      title: `${change.checkId} flapping on ${change.host}`,
    });
    await timelineEvent(db, deps, ticket.id, 'flapping_started', SYSTEM_ACTOR, { resultId: change.resultId });
    return { kind: 'flapping', ticket: { ...ticket, kind: 'flapping' }, started: true };
  }
  if (!open) return undefined;
  await updateTicket(db, open.id, {
    kind: 'check',
    updated_at: at,
    title: `${change.checkId} ${open.severity} on ${change.host}`,
  });
  await timelineEvent(db, deps, open.id, 'flapping_ended', SYSTEM_ACTOR, { resultId: change.resultId });
  return { kind: 'flapping', ticket: { ...open, kind: 'check' }, started: false };
}
