// The maintenance_windows table (created by migration 0009, lifecycle/migration.ts) and the store seen with it.
import type { Kysely } from 'kysely';
import type { Db } from '../store/open.js';
import type { Database } from '../store/schema.js';

/** A maintenance window or silence: while it runs, no ticket opens, no notification goes out, SLA clocks stop. */
export interface MaintenanceWindowTable {
  id: string;
  tenant_id: string;
  /** null: any application (and so on for host and check): the scope narrows as fields are set. */
  application: string | null;
  host: string | null;
  check_id: string | null;
  /** `window` (scheduled) or `silence` (immediate, from when it was made). */
  kind: string;
  /** A one-off window's start; a recurring one's first day it may run. */
  starts_at: string;
  /** A one-off window's end; a recurring one's last instant (null: no end). */
  ends_at: string | null;
  /** JSON of a Recurrence (recurrence.ts); null for a one-off window. */
  recurrence: string | null;
  reason: string;
  created_by: string;
  created_at: string;
  /** Ended early (or cancelled before it started): nothing of it counts from then on. */
  cancelled_at: string | null;
  cancelled_by: string | null;
}

/** A type, not an interface: Kysely's `withTables` needs an indexable map of tables. */
export type MaintenanceTables = { maintenance_windows: MaintenanceWindowTable };
export type MaintenanceDb = Kysely<Database & MaintenanceTables>;

export function maintenanceDb(db: Db): MaintenanceDb {
  return db.withTables<MaintenanceTables>();
}
