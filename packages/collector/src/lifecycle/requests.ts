// A request the client opens itself (a question, a change to plan): a ticket of kind `request`, under the
// tenant's contract like any other, with the request text as its first timeline entry.
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import { insertTicket } from '../store/tickets.js';
import { type DueTimes, timelineEvent } from '../tickets/apply.js';
import type { Priority } from '../tickets/priority.js';

export interface NewRequest {
  tenantId: string;
  title: string;
  text: string;
  application?: string | undefined;
  environment?: string | undefined;
  host?: string | undefined;
  priority: Priority;
}

export const REQUEST_CHECK_ID = 'request';

export async function openRequest(
  db: Db,
  r: NewRequest,
  actor: string,
  deps: { now: () => Date; newId: () => string; dueTimes: DueTimes },
): Promise<TicketTable> {
  const now = deps.now();
  const at = now.toISOString();
  const id = deps.newId();
  const due = await deps.dueTimes(db, r.tenantId, r.priority, now);
  const ticket: TicketTable = {
    id,
    tenant_id: r.tenantId,
    // A request about no host in particular: '-' (a ticket always names where).
    host: r.host ?? '-',
    check_id: REQUEST_CHECK_ID,
    // Every request is its own ticket: nothing to deduplicate.
    dedup_key: `${r.tenantId}/request/${id}`,
    status: 'open',
    severity: 'unknown',
    title: r.title,
    message: r.text,
    occurrences: 1,
    opened_at: at,
    last_seen_at: at,
    resolved_at: null,
    updated_at: at,
    kind: 'request',
    priority: r.priority,
    support_level: 'N1',
    environment: r.environment ?? '',
    application: r.application ?? '',
    response_due_at: due.responseDue.toISOString(),
    resolution_due_at: due.resolutionDue.toISOString(),
  };
  await insertTicket(db, ticket);
  await timelineEvent(db, deps, id, 'opened', actor, {
    request: true,
    text: r.text,
    priority: r.priority,
    responseDue: ticket.response_due_at,
    resolutionDue: ticket.resolution_due_at,
  });
  return ticket;
}
