// What people do to tickets: acknowledge, assign, comment, wait for the client, resume, resolve, close,
// escalate. Each action checks that the transition is allowed, keeps the SLA clock right (waiting for the
// client pauses it) and writes the timeline with who did it.
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import { getTicket, updateTicket } from '../store/tickets.js';
import { timelineEvent } from './apply.js';

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
}

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
      if (status === 'waiting') Object.assign(changes, resumeChanges(ticket, now));
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
      Object.assign(changes, { status: 'in_progress', ...resumeChanges(ticket, now) });
      break;
    case 'resolve':
      Object.assign(changes, { status: 'resolved', resolved_at: at });
      if (status === 'waiting') Object.assign(changes, resumeChanges(ticket, now));
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
  return (await getTicket(db, ticket.id)) as TicketTable;
}

/** Leaving "waiting for client": the pause is added to the paused time and pushes the due times back. */
function resumeChanges(ticket: TicketTable, now: Date): Partial<TicketTable> {
  const since = ticket.waiting_since ? Date.parse(ticket.waiting_since) : now.getTime();
  const paused = Math.max(0, now.getTime() - since);
  const push = (iso: string | null | undefined) =>
    iso ? new Date(Date.parse(iso) + paused).toISOString() : iso;
  return {
    waiting_since: null,
    paused_ms: (ticket.paused_ms ?? 0) + paused,
    response_due_at: ticket.acknowledged_at ? ticket.response_due_at : push(ticket.response_due_at),
    resolution_due_at: push(ticket.resolution_due_at),
  };
}
