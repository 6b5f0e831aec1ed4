// The notification outbox table: one row per (event, connector). Rows are written next to the ticket change
// (pass its transaction to `enqueue`) and worked by the NotificationDispatcher through the queries below.
import { createIdGenerator, validate } from '@vigie/shared';
import { type Kysely, type Migration, sql } from 'kysely';
import type { Db } from '../store/open.js';
import type { Database } from '../store/schema.js';
import {
  type TenantNotice,
  TenantNoticeSchema,
  type TicketNotification,
  TicketNotificationSchema,
} from './types.js';

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

export interface NotificationDeliveryTable {
  id: string;
  event_id: string;
  connector: string;
  /** The ticket's dedup key: a connector gets the deliveries of one key in the order they were enqueued. */
  ordering_key: string;
  kind: string;
  /** The TicketNotification (or TenantNotice), as JSON. */
  payload: string;
  status: DeliveryStatus;
  /** Claims taken, each before its request leaves: the sends started (plus one that only gives up a lapsed last one). */
  attempts: number;
  next_attempt_at: string;
  /** While `sending`: when the claim lapses and another dispatcher may take the delivery over. */
  claimed_until: string | null;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

/** A type, not an interface: Kysely's `withTables` needs an indexable map of tables. */
export type OutboxTables = {
  notification_deliveries: NotificationDeliveryTable;
};

const TABLE = 'notification_deliveries';

export const connectorsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable(TABLE)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('connector', 'text', (c) => c.notNull())
      .addColumn('ordering_key', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('claimed_until', 'text')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text')
      .addUniqueConstraint('notification_deliveries_event_connector', ['event_id', 'connector'])
      .execute();
    await db.schema
      .createIndex('notification_deliveries_due')
      .on(TABLE)
      .columns(['status', 'next_attempt_at'])
      .execute();
    // Unfinished deliveries by key, for the "nothing older for this key is still unfinished" test.
    await db.schema
      .createIndex('notification_deliveries_unfinished_key')
      .on(TABLE)
      .columns(['connector', 'ordering_key', 'created_at'])
      .where(sql.ref('status'), 'in', ['pending', 'sending'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable(TABLE).execute();
  },
};

function outbox(db: Db): Kysely<Database & OutboxTables> {
  return db.withTables<OutboxTables>();
}

// Time-ordered ids break ties between deliveries enqueued in the same millisecond, in enqueue order.
const newId = createIdGenerator();

/** Delivery rows of one event, one per connector named. */
function rowsFor(
  eventId: string,
  orderingKey: string,
  kind: string,
  payload: string,
  connectorNames: readonly string[],
  now: Date,
): NotificationDeliveryTable[] {
  const at = now.toISOString();
  return [...new Set(connectorNames)].map((connector) => ({
    id: newId(),
    event_id: eventId,
    connector,
    ordering_key: orderingKey,
    kind,
    payload,
    status: 'pending' as const,
    attempts: 0,
    next_attempt_at: at,
    claimed_until: null,
    last_error: null,
    created_at: at,
    sent_at: null,
  }));
}

/** The delivery rows of `n`, one per connector named. Throws on a malformed notification. */
export function deliveryRows(
  n: TicketNotification,
  connectorNames: readonly string[],
  now: Date,
): NotificationDeliveryTable[] {
  const checked = validate<TicketNotification>(TicketNotificationSchema, n);
  if (!checked.ok) throw new Error(`notification ${n.eventId} is malformed: ${checked.errors.join('; ')}`);
  return rowsFor(n.eventId, n.ticket.dedupKey, n.kind, JSON.stringify(n), connectorNames, now);
}

/**
 * Records `n` for delivery to each connector named. Idempotent: an (eventId, connector) pair already recorded
 * is left as it is. Returns how many deliveries were added. Throws on a malformed notification.
 */
export async function enqueue(
  db: Db,
  n: TicketNotification,
  connectorNames: readonly string[],
  now: Date,
): Promise<number> {
  return insertDeliveries(db, deliveryRows(n, connectorNames, now));
}

/** Records a tenant notice (low balance, report ready) like `enqueue` does a ticket notification. */
export async function enqueueNotice(
  db: Db,
  n: TenantNotice,
  connectorNames: readonly string[],
  now: Date,
): Promise<number> {
  const checked = validate<TenantNotice>(TenantNoticeSchema, n);
  if (!checked.ok) throw new Error(`notice ${n.eventId} is malformed: ${checked.errors.join('; ')}`);
  return insertDeliveries(
    db,
    rowsFor(n.eventId, `notice:${n.tenant}`, n.kind, JSON.stringify(n), connectorNames, now),
  );
}

async function insertDeliveries(db: Db, rows: NotificationDeliveryTable[]): Promise<number> {
  if (rows.length === 0) return 0;
  const r = await outbox(db)
    .insertInto(TABLE)
    .values(rows)
    .onConflict((oc) => oc.columns(['event_id', 'connector']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0);
}

/**
 * Deliveries to try now, oldest first: pending ones whose time has come, and claims that lapsed (the
 * dispatcher holding them died). A delivery waits while an older one to the same connector for the same key is
 * unfinished, so a `resolve` never overtakes the `trigger` it closes.
 */
export async function dueDeliveries(
  db: Db,
  connectors: readonly string[],
  now: Date,
  limit: number,
): Promise<NotificationDeliveryTable[]> {
  if (connectors.length === 0) return [];
  const at = now.toISOString();
  return outbox(db)
    .selectFrom(`${TABLE} as d`)
    .selectAll('d')
    .where('d.connector', 'in', connectors)
    .where((eb) =>
      eb.or([
        eb.and([eb('d.status', '=', 'pending'), eb('d.next_attempt_at', '<=', at)]),
        eb.and([eb('d.status', '=', 'sending'), eb('d.claimed_until', '<=', at)]),
      ]),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom(`${TABLE} as o`)
            .select('o.id')
            .whereRef('o.connector', '=', 'd.connector')
            .whereRef('o.ordering_key', '=', 'd.ordering_key')
            .where('o.status', 'in', ['pending', 'sending'])
            .where((eb) =>
              eb.or([
                eb('o.created_at', '<', eb.ref('d.created_at')),
                eb.and([eb('o.created_at', '=', eb.ref('d.created_at')), eb('o.id', '<', eb.ref('d.id'))]),
              ]),
            ),
        ),
      ),
    )
    .orderBy('d.created_at')
    .orderBy('d.id')
    .limit(limit)
    .execute();
}

/** What a dispatcher holds once it claimed a delivery: `attempts` is the fencing token of its claim. */
export interface Claim {
  id: string;
  attempts: number;
}

/**
 * Takes `row` (as read by dueDeliveries) for one send: `sending` until `leaseMs` from now, one more attempt.
 * A compare-and-set on the status and attempts read: of concurrent dispatchers, exactly one gets it.
 */
export async function claimDelivery(
  db: Db,
  row: Pick<NotificationDeliveryTable, 'id' | 'status' | 'attempts'>,
  now: Date,
  leaseMs: number,
): Promise<Claim | undefined> {
  const attempts = row.attempts + 1;
  const r = await outbox(db)
    .updateTable(TABLE)
    .set({
      status: 'sending',
      attempts,
      claimed_until: new Date(now.getTime() + leaseMs).toISOString(),
    })
    .where('id', '=', row.id)
    .where('status', '=', row.status)
    .where('attempts', '=', row.attempts)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1 ? { id: row.id, attempts } : undefined;
}

/**
 * Records that the receiver accepted the delivery. Not fenced: a success is a fact even when the claim lapsed
 * meanwhile, and it stops any retry that a later claim scheduled. False when it was already recorded as sent.
 */
export async function markSent(db: Db, id: string, now: Date): Promise<boolean> {
  const r = await outbox(db)
    .updateTable(TABLE)
    .set({ status: 'sent', sent_at: now.toISOString(), claimed_until: null, last_error: null })
    .where('id', '=', id)
    .where('status', '!=', 'sent')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Puts a claimed delivery back for another attempt at `nextAt`; false when the claim was no longer ours. */
export async function markRetry(db: Db, claim: Claim, nextAt: Date, error: string): Promise<boolean> {
  return settle(db, claim, { status: 'pending', next_attempt_at: nextAt.toISOString(), last_error: error });
}

/** Gives a claimed delivery up for good; false when the claim was no longer ours. */
export async function markFailed(db: Db, claim: Claim, error: string): Promise<boolean> {
  return settle(db, claim, { status: 'failed', last_error: error });
}

async function settle(
  db: Db,
  claim: Claim,
  set: { status: 'pending' | 'failed'; last_error: string; next_attempt_at?: string },
): Promise<boolean> {
  const r = await outbox(db)
    .updateTable(TABLE)
    .set({ ...set, last_error: set.last_error.slice(0, 2000), claimed_until: null })
    .where('id', '=', claim.id)
    .where('status', '=', 'sending')
    .where('attempts', '=', claim.attempts)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export interface DeliveryFilter {
  eventId?: string;
  connector?: string;
  status?: DeliveryStatus;
  limit?: number;
}

/** Deliveries, oldest first: for operators (what is stuck, what failed and why) and tests. */
export async function listDeliveries(
  db: Db,
  filter: DeliveryFilter = {},
): Promise<NotificationDeliveryTable[]> {
  let q = outbox(db)
    .selectFrom(TABLE)
    .selectAll()
    .orderBy('created_at')
    .orderBy('id')
    .limit(filter.limit ?? 500);
  if (filter.eventId !== undefined) q = q.where('event_id', '=', filter.eventId);
  if (filter.connector !== undefined) q = q.where('connector', '=', filter.connector);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  return q.execute();
}

/**
 * Deletes sent and failed deliveries created before `before`; returns how many. Their rows are what makes
 * `enqueue` idempotent: an event enqueued again after its rows are pruned is sent again.
 */
export async function pruneDeliveries(db: Db, before: Date): Promise<number> {
  const r = await outbox(db)
    .deleteFrom(TABLE)
    .where('status', 'in', ['sent', 'failed'])
    .where('created_at', '<', before.toISOString())
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
