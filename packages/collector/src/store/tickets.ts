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

export interface TicketFilter {
  tenantId: string | null;
  status?: string[];
  host?: string;
  limit: number;
}

export async function listTickets(db: Db, filter: TicketFilter): Promise<TicketTable[]> {
  let q = db.selectFrom('tickets').selectAll();
  if (filter.tenantId !== null) q = q.where('tenant_id', '=', filter.tenantId);
  if (filter.status && filter.status.length > 0) q = q.where('status', 'in', filter.status);
  if (filter.host) q = q.where('host', '=', filter.host);
  return q.orderBy('opened_at', 'desc').limit(filter.limit).execute();
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
