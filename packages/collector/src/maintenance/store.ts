// Maintenance window rows: create, list (by tenant, scope and time), end early.
import type { Db } from '../store/open.js';
import { type Recurrence, runsBetween, type WindowTiming } from './recurrence.js';
import { type MaintenanceWindowTable, maintenanceDb } from './schema.js';

export async function insertWindow(db: Db, row: MaintenanceWindowTable): Promise<void> {
  await maintenanceDb(db).insertInto('maintenance_windows').values(row).execute();
}

export async function getWindow(db: Db, id: string): Promise<MaintenanceWindowTable | undefined> {
  return maintenanceDb(db)
    .selectFrom('maintenance_windows')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function endWindow(db: Db, id: string, at: Date, by: string): Promise<void> {
  await maintenanceDb(db)
    .updateTable('maintenance_windows')
    .set({ cancelled_at: at.toISOString(), cancelled_by: by })
    .where('id', '=', id)
    .where('cancelled_at', 'is', null)
    .execute();
}

export interface WindowFilter {
  tenantId: string | null;
  application?: string | undefined;
  host?: string | undefined;
  /** Only windows that run at some time in [from, to). */
  from?: Date | undefined;
  to?: Date | undefined;
}

/** The windows that may concern a host or application (their scope is wider or equal), newest first. */
export async function listWindows(db: Db, f: WindowFilter): Promise<MaintenanceWindowTable[]> {
  let q = maintenanceDb(db).selectFrom('maintenance_windows').selectAll();
  if (f.tenantId !== null) q = q.where('tenant_id', '=', f.tenantId);
  if (f.application) {
    const app = f.application;
    q = q.where((eb) => eb.or([eb('application', 'is', null), eb('application', '=', app)]));
  }
  if (f.host) {
    const host = f.host;
    q = q.where((eb) => eb.or([eb('host', 'is', null), eb('host', '=', host)]));
  }
  if (f.to) q = q.where('starts_at', '<', f.to.toISOString());
  if (f.from) {
    const from = f.from.toISOString();
    q = q.where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', from)]));
  }
  const rows = await q.orderBy('starts_at', 'desc').orderBy('id').limit(1000).execute();
  if (!f.from && !f.to) return rows;
  const from = f.from?.getTime() ?? 0;
  const to = f.to?.getTime() ?? Number.POSITIVE_INFINITY;
  return rows.filter((r) => runsBetween(timingOf(r), from, to).length > 0);
}

/**
 * For the monthly report: each window of a tenant that ran within [from, to), with its runs clipped to the
 * period (a recurring window has one run per occurrence).
 */
export async function windowRunsBetween(
  db: Db,
  tenantId: string,
  from: Date,
  to: Date,
): Promise<Array<{ window: MaintenanceWindowTable; runs: Array<{ from: string; to: string }> }>> {
  const rows = await listWindows(db, { tenantId, from, to });
  return rows.map((window) => ({
    window,
    runs: runsBetween(timingOf(window), from.getTime(), to.getTime()).map((iv) => ({
      from: new Date(iv.start).toISOString(),
      to: new Date(iv.end).toISOString(),
    })),
  }));
}

/** A stored window's timing, as recurrence.ts computes with it. */
export function timingOf(r: MaintenanceWindowTable): WindowTiming {
  return {
    startsAt: Date.parse(r.starts_at),
    endsAt: r.ends_at ? Date.parse(r.ends_at) : Number.POSITIVE_INFINITY,
    recurrence: r.recurrence ? (JSON.parse(r.recurrence) as Recurrence) : undefined,
    cancelledAt: r.cancelled_at ? Date.parse(r.cancelled_at) : Number.POSITIVE_INFINITY,
  };
}
