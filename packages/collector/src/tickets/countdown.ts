// A ticket's SLA countdown in contract time, as the NOC page shows it: the covered time left before the target
// falls due (business hours stay business hours), whether the clock runs now and what stops it, and the
// wall-clock due time beside it.
import type { ActiveWindow, MaintenanceQuery } from '../maintenance/book.js';
import type { SlaContract } from '../sla/targets.js';
import type { TicketTable } from '../store/schema.js';
import { type CalendarInfo, clockOf, maintenancePauses } from './contracts.js';

export interface Countdown {
  /** The target running now: response until acknowledged, then resolution. */
  phase: 'response' | 'resolution';
  /** When the target falls due, wall clock (as if a pause under way ended now). */
  dueAt: string;
  /** Covered time left until dueAt; negative: covered time past it. */
  remainingMs: number;
  targetMs: number;
  /** Whether the clock runs now; if not, why: waiting for the client, a maintenance window, outside hours. */
  running: boolean;
  stoppedBy: 'client' | 'maintenance' | 'hours' | null;
  calendar: CalendarInfo['kind'];
  timeZone: string | null;
  /** The instant these figures are for: the page counts down from it while `running`. */
  asOf: string;
}

export const ACTIVE_STATUSES = ['open', 'acknowledged', 'in_progress', 'waiting'];

export function countdownOf(
  t: TicketTable,
  contract: SlaContract,
  info: CalendarInfo,
  now: Date,
  book: MaintenanceQuery | undefined,
  window: ActiveWindow | undefined,
): Countdown | null {
  if (!ACTIVE_STATUSES.includes(t.status)) return null;
  const state = clockOf(contract, t, maintenancePauses(book, t, now)).state(now, {
    acknowledgedAt: t.acknowledged_at ? new Date(t.acknowledged_at) : undefined,
  });
  const phase = t.acknowledged_at ? 'resolution' : 'response';
  const target = state[phase];
  const due = target.due;
  const { calendar } = contract;
  const remainingMs =
    due.getTime() >= now.getTime()
      ? calendar.coveredTimeBetween(now, due)
      : -calendar.coveredTimeBetween(due, now);
  const stoppedBy =
    t.status === 'waiting' ? 'client' : window ? 'maintenance' : calendar.isCovered(now) ? null : 'hours';
  return {
    phase,
    dueAt: due.toISOString(),
    remainingMs,
    targetMs: target.targetMs,
    running: stoppedBy === null,
    stoppedBy,
    calendar: info.kind,
    timeZone: info.timeZone,
    asOf: now.toISOString(),
  };
}
