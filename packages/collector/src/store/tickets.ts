// Ticket rows and their timeline.
import type { Db } from './open.js';
import type { TicketEventTable, TicketTable } from './schema.js';

export const CLOSED_STATUSES = ['resolved', 'closed'] as const;

export async function findOpenTicket(db: Db, dedupKey: string): Promise<TicketTable | undefined> {
  return db
    .selectFrom('tickets')
    .selectAll()
    .where('dedup_key', '=', dedupKey)
    .where('status', 'not in', CLOSED_STATUSES)
    .executeTakeFirst();
}

/** The most recent ticket of the key resolved at or after `since`, for the reopen window. */
export async function findReopenable(
  db: Db,
  dedupKey: string,
  since: string,
): Promise<TicketTable | undefined> {
  return db
    .selectFrom('tickets')
    .selectAll()
    .where('dedup_key', '=', dedupKey)
    .where('status', '=', 'resolved')
    .where('resolved_at', '>=', since)
    .orderBy('resolved_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function insertTicket(db: Db, row: TicketTable): Promise<void> {
  await db.insertInto('tickets').values(row).execute();
}

export async function updateTicket(
  db: Db,
  id: string,
  changes: Partial<Omit<TicketTable, 'id' | 'tenant_id' | 'dedup_key'>>,
): Promise<void> {
  await db.updateTable('tickets').set(changes).where('id', '=', id).execute();
}

export async function addTicketEvent(db: Db, row: TicketEventTable): Promise<void> {
  await db.insertInto('ticket_events').values(row).execute();
}

export const TICKET_SORTS = ['openedAt', 'updatedAt', 'priority', 'responseDue', 'resolutionDue'] as const;
export type TicketSort = (typeof TICKET_SORTS)[number];
const SORT_COLUMN = {
  openedAt: 'opened_at',
  updatedAt: 'updated_at',
  priority: 'priority',
  responseDue: 'response_due_at',
  resolutionDue: 'resolution_due_at',
} as const;

export interface TicketFilter {
  tenantId: string | null;
  status?: string[];
  priority?: string[];
  kind?: string[];
  host?: string;
  application?: string;
  environment?: string;
  sla?: 'at_risk' | 'breached';
  sort?: TicketSort;
  /** Default: ascending for due times and priority (most urgent first), descending for dates. */
  order?: 'asc' | 'desc';
  limit: number;
}

export async function listTickets(db: Db, filter: TicketFilter): Promise<TicketTable[]> {
  let q = db.selectFrom('tickets').selectAll();
  if (filter.tenantId !== null) q = q.where('tenant_id', '=', filter.tenantId);
  if (filter.status?.length) q = q.where('status', 'in', filter.status);
  if (filter.priority?.length) q = q.where('priority', 'in', filter.priority);
  if (filter.kind?.length) q = q.where('kind', 'in', filter.kind);
  if (filter.host) q = q.where('host', '=', filter.host);
  if (filter.application) q = q.where('application', '=', filter.application);
  if (filter.environment) q = q.where('environment', '=', filter.environment);
  if (filter.sla === 'at_risk') q = q.where('sla_flags', 'like', '%at_risk%');
  if (filter.sla === 'breached') q = q.where('sla_flags', 'like', '%breached%');
  const sort = filter.sort ?? 'openedAt';
  const order = filter.order ?? (sort === 'openedAt' || sort === 'updatedAt' ? 'desc' : 'asc');
  return q.orderBy(SORT_COLUMN[sort], order).orderBy('id').limit(filter.limit).execute();
}

export async function getTicket(db: Db, id: string): Promise<TicketTable | undefined> {
  return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function ticketTimeline(db: Db, ticketId: string): Promise<TicketEventTable[]> {
  return db
    .selectFrom('ticket_events')
    .selectAll()
    .where('ticket_id', '=', ticketId)
    .orderBy('at')
    .orderBy('id')
    .execute();
}
