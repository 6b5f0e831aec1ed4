// Régie work logs: who worked on which ticket, how long, on what, when. A log entered by mistake is cancelled
// (kept, skipped by totals). Monthly totals per person and per application against the contracted days.
import type { Db } from '../store/open.js';
import { contractDb, type WorkLogTable } from './migration.js';

export async function addWorkLog(db: Db, row: WorkLogTable): Promise<void> {
  await contractDb(db).insertInto('work_logs').values(row).execute();
}

export async function getWorkLog(db: Db, id: string): Promise<WorkLogTable | undefined> {
  return contractDb(db).selectFrom('work_logs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Cancels a log; false when it was already cancelled. */
export async function cancelWorkLog(db: Db, id: string, actor: string, now: Date): Promise<boolean> {
  const r = await contractDb(db)
    .updateTable('work_logs')
    .set({ cancelled_at: now.toISOString(), cancelled_by: actor })
    .where('id', '=', id)
    .where('cancelled_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export interface WorkLogFilter {
  tenantId: string | null;
  ticketId?: string;
  person?: string;
  /** Worked at or after `from`, before `to` (ISO instants). */
  from?: string;
  to?: string;
  includeCancelled?: boolean;
}

export async function listWorkLogs(db: Db, f: WorkLogFilter): Promise<WorkLogTable[]> {
  let q = contractDb(db).selectFrom('work_logs').selectAll().orderBy('worked_at').orderBy('id');
  if (f.tenantId !== null) q = q.where('tenant_id', '=', f.tenantId);
  if (f.ticketId) q = q.where('ticket_id', '=', f.ticketId);
  if (f.person) q = q.where('person', '=', f.person);
  if (f.from) q = q.where('worked_at', '>=', f.from);
  if (f.to) q = q.where('worked_at', '<', f.to);
  if (!f.includeCancelled) q = q.where('cancelled_at', 'is', null);
  return q.execute();
}

export interface TimeTotals {
  minutes: number;
  hours: number;
  days: number;
  byPerson: Array<{ person: string; minutes: number; hours: number; days: number }>;
  byApplication: Array<{ application: string; minutes: number; hours: number; days: number }>;
  contractedDays: number;
  /** Logged days over contracted days, in % (null without contracted days). */
  usedPercent: number | null;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Totals of (non-cancelled) logs against the contracted days of the period. */
export function timeTotals(
  logs: readonly WorkLogTable[],
  hoursPerDay: number,
  contractedDays: number,
): TimeTotals {
  const sum = (key: (l: WorkLogTable) => string) => {
    const m = new Map<string, number>();
    for (const l of logs) m.set(key(l), (m.get(key(l)) ?? 0) + l.minutes);
    return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  };
  const figures = (minutes: number) => ({
    minutes,
    hours: round2(minutes / 60),
    days: round2(minutes / 60 / hoursPerDay),
  });
  const minutes = logs.reduce((s, l) => s + l.minutes, 0);
  const total = figures(minutes);
  return {
    ...total,
    byPerson: sum((l) => l.person).map(([person, m]) => ({ person, ...figures(m) })),
    byApplication: sum((l) => l.application).map(([application, m]) => ({ application, ...figures(m) })),
    contractedDays,
    usedPercent: contractedDays > 0 ? round2((total.days / contractedDays) * 100) : null,
  };
}
