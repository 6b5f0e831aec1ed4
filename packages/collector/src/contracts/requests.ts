// Manual tickets: a request the client or the provider opens by API rather than a check. It is a ticket like
// the others (SLA due times from the tenant's contract, timeline, notifications), of kind `request`, and the
// accounting pass counts it like any other.
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import { insertTicket } from '../store/tickets.js';
import { type DueTimes, timelineEvent } from '../tickets/apply.js';
import type { Notifier } from '../tickets/notifier.js';
import type { Priority } from '../tickets/priority.js';

export const REQUEST_CHECK_ID = 'request';

export interface RequestInput {
  tenantId: string;
  title: string;
  description: string;
  priority: Priority;
  /** The host concerned, if any; else the application stands in for it (as for drift tickets), else '-'. */
  host?: string | undefined;
  application?: string | undefined;
  environment: string;
  actor: string;
}

export interface RequestDeps {
  newId: () => string;
  now: () => Date;
  dueTimes: DueTimes;
  notifier: Notifier;
}

/** Opens the request in the caller's transaction. */
export async function openRequest(db: Db, input: RequestInput, deps: RequestDeps): Promise<TicketTable> {
  const now = deps.now();
  const id = deps.newId();
  const host = input.host ?? input.application ?? '-';
  const due = await deps.dueTimes(db, input.tenantId, input.priority, now);
  const ticket: TicketTable = {
    id,
    tenant_id: input.tenantId,
    host,
    check_id: REQUEST_CHECK_ID,
    // One key per request: requests are never deduplicated into each other.
    dedup_key: `${input.tenantId}/${host}/request:${id}`,
    status: 'open',
    severity: input.priority === 'P1' ? 'critical' : 'warning',
    title: input.title,
    message: input.description,
    occurrences: 1,
    opened_at: now.toISOString(),
    last_seen_at: now.toISOString(),
    resolved_at: null,
    updated_at: now.toISOString(),
    kind: 'request',
    priority: input.priority,
    support_level: 'N1',
    environment: input.environment,
    application: input.application ?? '',
    response_due_at: due.responseDue.toISOString(),
    resolution_due_at: due.resolutionDue.toISOString(),
  };
  await insertTicket(db, ticket);
  await timelineEvent(db, deps, id, 'opened', input.actor, {
    request: true,
    priority: input.priority,
    description: input.description,
    responseDue: ticket.response_due_at,
    resolutionDue: ticket.resolution_due_at,
  });
  await deps.notifier.notify(db, ticket, 'opened', { request: true, actor: input.actor });
  return ticket;
}
