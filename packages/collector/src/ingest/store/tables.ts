// The tables the ingest hot path writes, described once (columns and their PostgreSQL types) so that each
// dialect can build its multi-row statements from the same description.
import type { NotificationDeliveryTable } from '../../connectors/outbox.js';
import type {
  AgentTable,
  CheckStateTable,
  SeenResultTable,
  TicketEventTable,
  TicketTable,
} from '../../store/schema.js';
import type { IngestStreamTable } from '../migration.js';

export type PgType = 'text' | 'integer' | 'bigint';
export type Row = Record<string, unknown>;

/** An insert: every column of the row, and what a conflicting row does. */
export interface InsertSpec<R> {
  table: string;
  columns: ReadonlyArray<readonly [keyof R & string, PgType]>;
  /** `ignore`: keep the existing row; `update`: overwrite these columns; on the conflict target. */
  conflict?:
    | { target: readonly string[]; action: 'ignore' }
    | { target: readonly string[]; action: 'update'; set: readonly string[] };
}

/** An update by key of a fixed set of columns. */
export interface UpdateSpec<R> {
  table: string;
  key: readonly [keyof R & string, PgType];
  set: ReadonlyArray<readonly [keyof R & string, PgType]>;
}

export const TICKET_INSERT: InsertSpec<TicketTable> = {
  table: 'tickets',
  columns: [
    ['id', 'text'],
    ['tenant_id', 'text'],
    ['host', 'text'],
    ['check_id', 'text'],
    ['dedup_key', 'text'],
    ['status', 'text'],
    ['severity', 'text'],
    ['title', 'text'],
    ['message', 'text'],
    ['occurrences', 'integer'],
    ['opened_at', 'text'],
    ['last_seen_at', 'text'],
    ['resolved_at', 'text'],
    ['updated_at', 'text'],
    ['kind', 'text'],
    ['priority', 'text'],
    ['support_level', 'text'],
    ['environment', 'text'],
    ['application', 'text'],
    ['response_due_at', 'text'],
    ['resolution_due_at', 'text'],
    // A ticket opened, resolved and reopened within one group is inserted once, with its count.
    ['reopened', 'integer'],
  ],
};

/** The columns the ticket rules change (plan.ts); people's columns (assignee, acknowledgement, SLA) are left alone. */
export const TICKET_UPDATE: UpdateSpec<TicketTable> = {
  table: 'tickets',
  key: ['id', 'text'],
  set: [
    ['status', 'text'],
    ['severity', 'text'],
    ['title', 'text'],
    ['message', 'text'],
    ['occurrences', 'integer'],
    ['last_seen_at', 'text'],
    ['resolved_at', 'text'],
    ['updated_at', 'text'],
    ['kind', 'text'],
    ['priority', 'text'],
    ['reopened', 'integer'],
  ],
};

export const TICKET_EVENT_INSERT: InsertSpec<TicketEventTable> = {
  table: 'ticket_events',
  columns: [
    ['id', 'text'],
    ['ticket_id', 'text'],
    ['at', 'text'],
    ['kind', 'text'],
    ['actor', 'text'],
    ['details', 'text'],
  ],
};

const CHECK_STATE_VALUES = [
  'type',
  'category',
  'status',
  'agent_status',
  'message',
  'metrics',
  'observed_at',
  'result_id',
  'memory',
  'rules',
] as const;

export const CHECK_STATE_UPSERT: InsertSpec<CheckStateTable> = {
  table: 'check_states',
  columns: [
    ['tenant_id', 'text'],
    ['host', 'text'],
    ['check_id', 'text'],
    ...CHECK_STATE_VALUES.map((c) => [c, 'text'] as const),
  ],
  conflict: { target: ['tenant_id', 'host', 'check_id'], action: 'update', set: CHECK_STATE_VALUES },
};

export const STREAM_UPSERT: InsertSpec<IngestStreamTable> = {
  table: 'ingest_streams',
  columns: [
    ['tenant_id', 'text'],
    ['host', 'text'],
    ['epoch', 'text'],
    ['high_water', 'bigint'],
    ['updated_at', 'text'],
  ],
  conflict: { target: ['tenant_id', 'host', 'epoch'], action: 'update', set: ['high_water', 'updated_at'] },
};

export const SEEN_INSERT: InsertSpec<SeenResultTable> = {
  table: 'seen_results',
  columns: [
    ['result_id', 'text'],
    ['tenant_id', 'text'],
    ['received_at', 'text'],
  ],
  conflict: { target: ['result_id'], action: 'ignore' },
};

export const DELIVERY_INSERT: InsertSpec<NotificationDeliveryTable> = {
  table: 'notification_deliveries',
  columns: [
    ['id', 'text'],
    ['event_id', 'text'],
    ['connector', 'text'],
    ['ordering_key', 'text'],
    ['kind', 'text'],
    ['payload', 'text'],
    ['status', 'text'],
    ['attempts', 'integer'],
    ['next_attempt_at', 'text'],
    ['claimed_until', 'text'],
    ['last_error', 'text'],
    ['created_at', 'text'],
    ['sent_at', 'text'],
  ],
  conflict: { target: ['event_id', 'connector'], action: 'ignore' },
};

/** What the write-behind refreshes on an agent: when it was last heard from, and its clock skew. */
export const AGENT_SEEN_UPDATE: UpdateSpec<Pick<AgentTable, 'id' | 'last_seen' | 'clock_skew_ms'>> = {
  table: 'agents',
  key: ['id', 'text'],
  set: [
    ['last_seen', 'text'],
    ['clock_skew_ms', 'bigint'],
  ],
};
