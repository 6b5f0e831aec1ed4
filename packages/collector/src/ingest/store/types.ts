// The ingest hot path's view of the store: a few hand-written statements per dialect (sqlite.ts,
// postgres.ts), each writing many rows, inside one transaction per group of batches.
import type { NotificationDeliveryTable } from '../../connectors/outbox.js';
import type { CheckStateTable, SeenResultTable, TicketEventTable, TicketTable } from '../../store/schema.js';
import type { IngestStreamTable } from '../migration.js';

/** What a host's session starts from: its checks' last states and the high-water mark of its stream. */
export interface HostRecord {
  checks: CheckStateTable[];
  /** Undefined: the store has never seen this stream (epoch). */
  highWater: number | undefined;
}

/** A host whose rows a transaction writes, with the generation of the lease its state was loaded under. */
export interface FencedHost {
  /** `tenant/host`. */
  key: string;
  generation: number;
}

/** Everything a group writes, in one transaction. */
export interface GroupWrite {
  ticketInserts: TicketTable[];
  ticketUpdates: TicketTable[];
  ticketEvents: TicketEventTable[];
  deliveries: NotificationDeliveryTable[];
  checkStates: CheckStateTable[];
  streams: IngestStreamTable[];
  seen: SeenResultTable[];
}

/** What the write-behind refreshes. */
export interface BehindWrite {
  checkStates: CheckStateTable[];
  agents: Array<{ id: string; last_seen: string; clock_skew_ms: number | null }>;
}

export interface IngestTx {
  /**
   * Renews this collector's leases of the hosts (`tenant/host` keys) for the transaction, and returns those it
   * holds: rows of a host it does not hold must not be written (another collector owns the host now). The
   * lease rows stay locked until the transaction ends, so no other collector takes them meanwhile.
   */
  fence(hosts: readonly FencedHost[]): Promise<Set<string>>;
  /**
   * Tickets of these keys that are open, or were resolved at or after `resolvedSince` (reopen candidates).
   * On PostgreSQL the rows are locked until the transaction ends.
   */
  ticketsOf(keys: readonly string[], resolvedSince: string): Promise<TicketTable[]>;
  write(w: GroupWrite): Promise<void>;
  writeBehind(w: BehindWrite): Promise<void>;
}

export interface IngestStore {
  readonly dialect: 'sqlite' | 'postgres';
  loadHost(tenantId: string, host: string, epoch: string | undefined): Promise<HostRecord>;
  /** Result ids among `ids` already handled (protocol 1 agents, and a new stream's first batch). */
  seenIds(ids: readonly string[]): Promise<Set<string>>;
  /** Runs `fn` in a transaction; transactions run one at a time. */
  transaction<T>(fn: (tx: IngestTx) => Promise<T>): Promise<T>;
  /** Statements and transactions run so far (for /metrics and the benchmark's round-trip count). */
  readonly counters: { statements: number; transactions: number };
}

export function emptyWrite(): GroupWrite {
  return {
    ticketInserts: [],
    ticketUpdates: [],
    ticketEvents: [],
    deliveries: [],
    checkStates: [],
    streams: [],
    seen: [],
  };
}
