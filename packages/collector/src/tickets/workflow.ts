// What people do to tickets: acknowledge, assign, comment, wait for the client, resume, resolve, close,
// escalate. Each action checks that the transition is allowed, keeps the SLA clock right (waiting for the
// client pauses it) and writes the timeline with who did it.
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import { getTicket, updateTicket } from '../store/tickets.js';
import { timelineEvent } from './apply.js';
import { type ContractBook, clockOf } from './contracts.js';
import type { NotificationKind, Notifier } from './notifier.js';

export const TICKET_STATUSES = [
  'open',
  'acknowledged',
  'in_progress',
  'waiting',
  'resolved',
  'closed',
] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export const SUPPORT_LEVELS = ['N1', 'N2', 'N3'] as const;
export type SupportLevel = (typeof SUPPORT_LEVELS)[number];

export type Action =
  | { kind: 'acknowledge'; comment?: string }
  | { kind: 'start' }
  | { kind: 'assign'; assignee: string }
  | { kind: 'comment'; text: string }
  | { kind: 'wait'; reason?: string }
  | { kind: 'resume' }
  | { kind: 'resolve'; comment?: string }
  | { kind: 'close'; comment?: string }
  | { kind: 'escalate'; level?: SupportLevel; reason: string };

/** Statuses each action may start from. */
const ALLOWED: Record<Action['kind'], readonly TicketStatus[]> = {
  acknowledge: ['open'],
  start: ['open', 'acknowledged', 'waiting'],
  assign: ['open', 'acknowledged', 'in_progress', 'waiting'],
  comment: TICKET_STATUSES,
  wait: ['open', 'acknowledged', 'in_progress'],
  resume: ['waiting'],
  resolve: ['open', 'acknowledged', 'in_progress', 'waiting'],
  close: ['resolved', 'open', 'acknowledged', 'in_progress', 'waiting'],
  escalate: ['open', 'acknowledged', 'in_progress', 'waiting'],
};

export class TransitionError extends Error {
  constructor(
    readonly code: 'invalid_transition' | 'already_at_level',
    message: string,
  ) {
    super(message);
  }
}

export interface WorkflowDeps {
  newId: () => string;
  now: () => Date;
  contracts: ContractBook;
  notifier: Notifier;
}

const NOTIFIED: Partial<Record<Action['kind'], NotificationKind>> = {
  acknowledge: 'acknowledged',
  resolve: 'resolved',
  close: 'closed',
  escalate: 'escalated',
};

/** Applies an action in the caller's transaction; returns the updated ticket. */
export async function act(
  db: Db,
  ticket: TicketTable,
  action: Action,
  actor: string,
  deps: WorkflowDeps,
): Promise<TicketTable> {
  const status = ticket.status as TicketStatus;
  if (!ALLOWED[action.kind].includes(status)) {
    throw new TransitionError('invalid_transition', `cannot ${action.kind} a ticket that is ${status}`);
  }
  const now = deps.now();
  const at = now.toISOString();
  const changes: Partial<TicketTable> = { updated_at: at };
  const details: Record<string, unknown> = {};
  switch (action.kind) {
    case 'acknowledge':
      Object.assign(changes, { status: 'acknowledged', acknowledged_at: at });
      if (action.comment) details.comment = action.comment;
      break;
    case 'start':
      Object.assign(changes, { status: 'in_progress', acknowledged_at: ticket.acknowledged_at ?? at });
      if (status === 'waiting') Object.assign(changes, await resumeChanges(db, ticket, now, deps));
      break;
    case 'assign':
      Object.assign(changes, { assignee: action.assignee, acknowledged_at: ticket.acknowledged_at ?? at });
      details.assignee = action.assignee;
      break;
    case 'comment':
      details.text = action.text;
      break;
    case 'wait':
      Object.assign(changes, { status: 'waiting', waiting_since: at });
      if (action.reason) details.reason = action.reason;
      break;
    case 'resume':
      Object.assign(changes, { status: 'in_progress', ...(await resumeChanges(db, ticket, now, deps)) });
      break;
    case 'resolve':
      Object.assign(changes, { status: 'resolved', resolved_at: at });
      if (status === 'waiting') Object.assign(changes, await resumeChanges(db, ticket, now, deps));
      if (action.comment) details.comment = action.comment;
      break;
    case 'close':
      Object.assign(changes, { status: 'closed', closed_at: at, resolved_at: ticket.resolved_at ?? at });
      if (action.comment) details.comment = action.comment;
      break;
    case 'escalate': {
      const current = SUPPORT_LEVELS.indexOf((ticket.support_level ?? 'N1') as SupportLevel);
      const target = action.level ? SUPPORT_LEVELS.indexOf(action.level) : current + 1;
      if (target <= current || target >= SUPPORT_LEVELS.length) {
        throw new TransitionError(
          'already_at_level',
          `ticket is at ${ticket.support_level}; cannot escalate to ${SUPPORT_LEVELS[target] ?? 'beyond N3'}`,
        );
      }
      const level = SUPPORT_LEVELS[target] as SupportLevel;
      Object.assign(changes, { support_level: level });
      Object.assign(details, { from: ticket.support_level ?? 'N1', to: level, reason: action.reason });
      break;
    }
  }
  await updateTicket(db, ticket.id, changes);
  const kind = {
    acknowledge: 'acknowledged',
    start: 'started',
    assign: 'assigned',
    comment: 'comment',
    wait: 'waiting_for_client',
    resume: 'resumed',
    resolve: 'resolved',
    close: 'closed',
    escalate: 'escalated',
  }[action.kind];
  await timelineEvent(db, deps, ticket.id, kind, actor, { ...details, status: changes.status ?? status });
  const updated = (await getTicket(db, ticket.id)) as TicketTable;
  const notification = NOTIFIED[action.kind];
  if (notification) await deps.notifier.notify(db, updated, notification, { actor, ...details });
  return updated;
}

/**
 * Leaving "waiting for client": the wait becomes a pause of the SLA clock, and the due times are computed again
 * from the contract, so they move by the covered time spent waiting (not by wall-clock time).
 */
async function resumeChanges(
  db: Db,
  ticket: TicketTable,
  now: Date,
  deps: WorkflowDeps,
): Promise<Partial<TicketTable>> {
  const since = ticket.waiting_since ?? now.toISOString();
  const pauses = [
    ...(JSON.parse(ticket.pauses ?? '[]') as Array<{ from: string; to: string }>),
    { from: since, to: now.toISOString() },
  ];
  const resumed: TicketTable = { ...ticket, waiting_since: null, pauses: JSON.stringify(pauses) };
  const clock = clockOf(await deps.contracts.forTenant(db, ticket.tenant_id), resumed);
  return {
    waiting_since: null,
    pauses: resumed.pauses,
    paused_ms: (ticket.paused_ms ?? 0) + Math.max(0, now.getTime() - Date.parse(since)),
    response_due_at: ticket.acknowledged_at
      ? ticket.response_due_at
      : (clock.responseDue?.toISOString() ?? null),
    resolution_due_at: clock.resolutionDue?.toISOString() ?? null,
  };
}
