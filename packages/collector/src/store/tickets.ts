// Ticket rows and their timeline.
import { sql } from 'kysely';
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
  severity?: string[];
  kind?: string[];
  /** Check categories (performance, backup, security, drift), `agent` (unreachable) or `request`. */
  category?: string[];
  host?: string;
  application?: string;
  environment?: string;
  sla?: 'at_risk' | 'breached';
  /** Opened at or after `from`, before `to` (ISO instants). */
  from?: string;
  to?: string;
  sort?: TicketSort;
  /** Default: ascending for due times and priority (most urgent first), descending for dates. */
  order?: 'asc' | 'desc';
  /** Only the tickets after this one in the sort order: the sort value and id of the last one seen. */
  after?: { value: string; id: string };
  limit: number;
}

/** A sort column as sorted: a missing due time sorts after every real one. */
function sortExpression(sort: TicketSort) {
  const column = SORT_COLUMN[sort];
  return sql<string>`coalesce(${sql.ref(column)}, '9999-12-31')`;
}

/** The value a ticket sorts by, for a paging cursor. */
export function sortValue(t: TicketTable, sort: TicketSort): string {
  const v = t[SORT_COLUMN[sort]];
  return typeof v === 'string' ? v : '9999-12-31';
}

const CATEGORY_KINDS: Record<string, string> = { agent: 'agent_unreachable', request: 'request' };

export async function listTickets(db: Db, filter: TicketFilter): Promise<TicketTable[]> {
  let q = db.selectFrom('tickets').selectAll();
  if (filter.tenantId !== null) q = q.where('tenant_id', '=', filter.tenantId);
  if (filter.status?.length) q = q.where('status', 'in', filter.status);
  if (filter.priority?.length) q = q.where('priority', 'in', filter.priority);
  if (filter.severity?.length) q = q.where('severity', 'in', filter.severity);
  if (filter.kind?.length) q = q.where('kind', 'in', filter.kind);
  if (filter.host) q = q.where('host', '=', filter.host);
  if (filter.application) q = q.where('application', '=', filter.application);
  if (filter.environment) q = q.where('environment', '=', filter.environment);
  if (filter.sla === 'at_risk') q = q.where('sla_flags', 'like', '%at_risk%');
  if (filter.sla === 'breached') q = q.where('sla_flags', 'like', '%breached%');
  if (filter.from) q = q.where('opened_at', '>=', filter.from);
  if (filter.to) q = q.where('opened_at', '<', filter.to);
  const categories = filter.category;
  if (categories?.length) {
    const kinds = categories.flatMap((c) => (CATEGORY_KINDS[c] ? [CATEGORY_KINDS[c] as string] : []));
    const checks = categories.filter((c) => !CATEGORY_KINDS[c]);
    q = q.where((eb) =>
      eb.or([
        ...(kinds.length ? [eb('kind', 'in', kinds)] : []),
        ...(checks.includes('drift') ? [eb('check_id', 'like', 'parity:%')] : []),
        ...(checks.length
          ? [
              eb.exists(
                eb
                  .selectFrom('check_states as cs')
                  .select('cs.check_id')
                  .whereRef('cs.tenant_id', '=', 'tickets.tenant_id')
                  .whereRef('cs.host', '=', 'tickets.host')
                  .whereRef('cs.check_id', '=', 'tickets.check_id')
                  .where('cs.category', 'in', checks),
              ),
            ]
          : []),
      ]),
    );
  }
  const sort = filter.sort ?? 'openedAt';
  const order = filter.order ?? (sort === 'openedAt' || sort === 'updatedAt' ? 'desc' : 'asc');
  const by = sortExpression(sort);
  const after = filter.after;
  if (after) {
    q = q.where((eb) =>
      eb.or([
        eb(by, order === 'asc' ? '>' : '<', after.value),
        eb.and([eb(by, '=', after.value), eb('id', order === 'asc' ? '>' : '<', after.id)]),
      ]),
    );
  }
  // Ties by id in the same direction, so that one index (tickets_opened_order for the default sort) serves the
  // whole order, read backwards for the newest first, instead of a sort of every matching ticket.
  return q.orderBy(by, order).orderBy('id', order).limit(filter.limit).execute();
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
