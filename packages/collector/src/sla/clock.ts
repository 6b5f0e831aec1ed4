// A ticket's SLA clock: when its response and resolution are due, how much of each target is used, and
// whether it is at risk, breached or met. The clock runs in the contract's covered time and stops while the
// ticket waits for the client. Pure: `now` is always passed in.
import type { Priority } from '../tickets/priority.js';
import type { SlaContract } from './targets.js';
import { type Interval, mergeIntervals } from './wall-clock.js';

/** A wait for the client, [from, to); `to` undefined while the ticket is still waiting. */
export interface SlaPause {
  from: Date;
  to?: Date | undefined;
}

export interface SlaTicket {
  priority: Priority;
  openedAt: Date;
  pauses?: readonly SlaPause[] | undefined;
}

export interface SlaMilestones {
  acknowledgedAt?: Date | undefined;
  resolvedAt?: Date | undefined;
}

export interface SlaTargetState {
  /** When the target falls due; while the ticket waits, as if the wait ended now (or when it was met). */
  due: Date;
  targetMs: number;
  /** Covered, not paused time from opening to `metAt`, or to now while not met. */
  elapsedMs: number;
  /** elapsedMs / targetMs: 0 at opening, 1 at the due time, above 1 after. */
  usedShare: number;
  /** Not met, not breached, and usedShare >= the contract's atRiskShare (as tickets/sla-state.ts flags it). */
  atRisk: boolean;
  /** Met after the due time, or not met and now is after it. Meeting a target exactly at `due` is in time. */
  breached: boolean;
  /** Not met and waiting for the client now. */
  paused: boolean;
  /** When the target was met, if it was by now. */
  metAt?: Date;
}

export interface SlaState {
  response: SlaTargetState;
  resolution: SlaTargetState;
}

export class SlaClock {
  readonly responseTargetMs: number;
  readonly resolutionTargetMs: number;
  private readonly opened: number;
  /** Pauses clipped to the opening, sorted and merged; an open pause ends at Infinity. */
  private readonly pauses: readonly Interval[];

  constructor(
    private readonly contract: SlaContract,
    ticket: SlaTicket,
  ) {
    this.responseTargetMs = contract.response[ticket.priority];
    this.resolutionTargetMs = contract.resolution[ticket.priority];
    this.opened = ticket.openedAt.getTime();
    this.pauses = normalizePauses(ticket.pauses ?? [], this.opened);
  }

  /** When the response is due; undefined while a wait that began before then is still open. */
  get responseDue(): Date | undefined {
    return this.dueAfter(this.responseTargetMs, this.pauses);
  }

  /** When the resolution is due; undefined while a wait that began before then is still open. */
  get resolutionDue(): Date | undefined {
    return this.dueAfter(this.resolutionTargetMs, this.pauses);
  }

  /** Covered, not paused time since the ticket opened, in ms. */
  elapsed(now: Date): number {
    return this.elapsedUntil(now.getTime(), this.pausesAsOf(now.getTime()));
  }

  state(now: Date, milestones: SlaMilestones = {}): SlaState {
    const responded = earliest(milestones.acknowledgedAt, milestones.resolvedAt);
    return {
      // Resolving a ticket that was never acknowledged answers it too.
      response: this.targetState(this.responseTargetMs, now.getTime(), responded),
      resolution: this.targetState(this.resolutionTargetMs, now.getTime(), milestones.resolvedAt),
    };
  }

  private targetState(targetMs: number, now: number, metAt: Date | undefined): SlaTargetState {
    const met = metAt !== undefined && metAt.getTime() <= now ? metAt.getTime() : undefined;
    const at = met ?? now;
    const pauses = this.pausesAsOf(at);
    const elapsedMs = this.elapsedUntil(at, pauses);
    // Every pause known at `at` is closed, so the due time exists.
    const due = this.dueAfter(targetMs, pauses) as Date;
    const usedShare = elapsedMs / targetMs;
    const state: SlaTargetState = {
      due,
      targetMs,
      elapsedMs,
      usedShare,
      atRisk: met === undefined && at <= due.getTime() && usedShare >= this.contract.atRiskShare,
      breached: at > due.getTime(),
      paused: met === undefined && this.pauses.some((p) => p.start <= now && now < p.end),
    };
    if (met !== undefined) state.metAt = new Date(met);
    return state;
  }

  /** Pauses known at `now`: later ones dropped, an open one ending now. */
  private pausesAsOf(now: number): Interval[] {
    return this.pauses
      .filter((p) => p.start < now)
      .map((p) => ({ start: p.start, end: Math.min(p.end, now) }));
  }

  private elapsedUntil(until: number, pauses: readonly Interval[]): number {
    if (until <= this.opened) return 0;
    const { calendar } = this.contract;
    let total = calendar.coveredTimeBetween(new Date(this.opened), new Date(until));
    for (const p of pauses) {
      if (p.start >= until) break;
      total -= calendar.coveredTimeBetween(new Date(p.start), new Date(Math.min(p.end, until)));
    }
    return total;
  }

  /** The instant at which `targetMs` of covered, not paused time has elapsed since opening. */
  private dueAfter(targetMs: number, pauses: readonly Interval[]): Date | undefined {
    const { calendar } = this.contract;
    let remaining = targetMs;
    let cursor = this.opened;
    for (const p of pauses) {
      const before = calendar.coveredTimeBetween(new Date(cursor), new Date(p.start));
      if (before >= remaining) break;
      remaining -= before;
      if (p.end === Number.POSITIVE_INFINITY) return undefined;
      cursor = p.end;
    }
    return calendar.addCoveredTime(new Date(cursor), remaining);
  }
}

function normalizePauses(pauses: readonly SlaPause[], opened: number): Interval[] {
  const intervals = pauses.map((p, i) => {
    const start = p.from.getTime();
    const end = p.to === undefined ? Number.POSITIVE_INFINITY : p.to.getTime();
    if (Number.isNaN(start) || Number.isNaN(end) || end < start) {
      throw new RangeError(`pause ${i} is not an interval: from ${String(p.from)} to ${String(p.to)}`);
    }
    return { start: Math.max(start, opened), end };
  });
  return mergeIntervals(intervals.filter((p) => p.end > p.start));
}

function earliest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a.getTime() <= b.getTime() ? a : b;
}
