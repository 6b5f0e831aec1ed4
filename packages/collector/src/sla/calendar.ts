// When a contract's clock runs: 24x7, or business hours in a time zone minus weekends, public holidays and
// closed dates. Answers "is this instant covered", "when has this much covered time elapsed" and "how much
// covered time lies between two instants", walking a day at a time.
//
// DST rule: an instant is covered when, at that instant, the calendar's local clock reads a time inside one of
// the windows of an open date. Windows therefore last what the clock shows, not what they say: wall times
// skipped by the spring-forward gap never happen and cover nothing (in Paris on 2026-03-29, 00:00-24:00 is
// 23 h and 02:00-03:00 is 0 h); wall times repeated by the fall-back overlap happen twice and are covered both
// times (on 2026-10-25, 00:00-24:00 is 25 h, 02:00-03:00 is 2 h, and 02:30-04:00 is 00:30-01:00Z plus
// 01:30-03:00Z: the second 02:00-02:30 is not in the window). Like the hours a night operator really works.
import {
  type BusinessCalendarConfig,
  type CoverageCalendarConfig,
  coverageCalendarProblems,
  toMs,
  windowsOf,
} from './calendar-schema.js';
import { SlaConfigError } from './config-error.js';
import { HolidayClosures } from './holidays.js';
import {
  DAY_MS,
  dateKey,
  type Interval,
  isoWeekday,
  MAX_OFFSET_MS,
  mergeIntervals,
  subtractIntervals,
  WallClock,
} from './wall-clock.js';

export {
  AlwaysCoveredSchema,
  type BusinessCalendarConfig,
  BusinessCalendarSchema,
  type CoverageCalendarConfig,
  CoverageCalendarSchema,
  type CoverageWindow,
  coverageCalendarProblems,
} from './calendar-schema.js';

export interface CoverageCalendar {
  /** Whether the contract's clock runs at this instant. */
  isCovered(instant: Date): boolean;
  /** The instant at which `durationMs` of covered time has elapsed since `start`: a due time. */
  addCoveredTime(start: Date, durationMs: number): Date;
  /** Milliseconds of covered time in [a, b); 0 when b is not after a. */
  coveredTimeBetween(a: Date, b: Date): number;
}

/** Validates a calendar config; throws a SlaConfigError naming each bad key. */
export function createCoverageCalendar(config: unknown): CoverageCalendar {
  const problems = coverageCalendarProblems(config, '');
  if (problems.length > 0) throw new SlaConfigError('coverage calendar', problems);
  const valid = config as CoverageCalendarConfig;
  return valid.kind === '24x7' ? new AlwaysCovered() : new BusinessCalendar(valid);
}

class AlwaysCovered implements CoverageCalendar {
  isCovered(): boolean {
    return true;
  }
  addCoveredTime(start: Date, durationMs: number): Date {
    return new Date(instantMs(start) + wholeMs(durationMs));
  }
  coveredTimeBetween(a: Date, b: Date): number {
    return Math.max(0, instantMs(b) - instantMs(a));
  }
}

/** Covered time is walked in chunks of this much real time. */
const CHUNK_MS = DAY_MS;
/** A walk that finds no covered time for this many chunks gives up rather than loop forever. */
const MAX_IDLE_CHUNKS = 3660;
/** Days whose covered intervals are kept; the cache restarts beyond this. */
const MAX_CACHED_DAYS = 20_000;

class BusinessCalendar implements CoverageCalendar {
  private readonly clock: WallClock;
  private readonly days: ReadonlySet<number>;
  /** Windows per ISO weekday (index 1..7), as ms since local midnight, sorted and merged. */
  private readonly weekly: Interval[][];
  private readonly closedDates: ReadonlySet<string>;
  private readonly openDates: ReadonlySet<string>;
  private readonly holidays: HolidayClosures | undefined;
  private readonly covered = new Map<number, Interval[]>();

  constructor(config: BusinessCalendarConfig) {
    this.clock = new WallClock(config.timeZone);
    this.days = new Set(config.days);
    this.weekly = [0, 1, 2, 3, 4, 5, 6, 7].map((d) =>
      mergeIntervals(windowsOf(config, d).map((w) => ({ start: toMs(w.from), end: toMs(w.to) }))),
    );
    this.closedDates = new Set(config.extraClosedDates ?? []);
    this.openDates = new Set(config.extraOpenDates ?? []);
    this.holidays = config.holidays ? new HolidayClosures(config.holidays) : undefined;
  }

  isCovered(instant: Date): boolean {
    const wall = this.clock.wallAt(instantMs(instant));
    const day = Math.floor(wall / DAY_MS);
    const ms = wall - day * DAY_MS;
    return this.windowsOn(day).some((w) => ms >= w.start && ms < w.end);
  }

  addCoveredTime(start: Date, durationMs: number): Date {
    let remaining = wholeMs(durationMs);
    if (remaining === 0) return new Date(instantMs(start));
    let idle = 0;
    for (let from = instantMs(start); ; from += CHUNK_MS) {
      const intervals = this.coveredIn(from, from + CHUNK_MS);
      for (const iv of intervals) {
        const length = iv.end - iv.start;
        if (length >= remaining) return new Date(iv.start + remaining);
        remaining -= length;
      }
      idle = intervals.length === 0 ? idle + 1 : 0;
      if (idle > MAX_IDLE_CHUNKS) {
        throw new Error(
          `coverage calendar covers no time for ten years after ${new Date(from).toISOString()}`,
        );
      }
    }
  }

  coveredTimeBetween(a: Date, b: Date): number {
    let total = 0;
    const end = instantMs(b);
    for (let from = instantMs(a); from < end; from += CHUNK_MS) {
      for (const iv of this.coveredIn(from, Math.min(from + CHUNK_MS, end))) total += iv.end - iv.start;
    }
    return total;
  }

  /** Covered real intervals inside [from, to), sorted. */
  private coveredIn(from: number, to: number): Interval[] {
    const out: Interval[] = [];
    // Any instant in [from, to) reads a local date between these two, whatever the zone's offset.
    const firstDay = Math.floor((from - MAX_OFFSET_MS) / DAY_MS);
    const lastDay = Math.floor((to + MAX_OFFSET_MS) / DAY_MS);
    for (let day = firstDay; day <= lastDay; day++) {
      for (const iv of this.coveredOn(day)) {
        const start = Math.max(iv.start, from);
        const end = Math.min(iv.end, to);
        if (start < end) out.push({ start, end });
      }
    }
    return out.sort((x, y) => x.start - y.start);
  }

  /** Real intervals during which the local clock reads a window of local day `day`. */
  private coveredOn(day: number): Interval[] {
    let intervals = this.covered.get(day);
    if (!intervals) {
      const wallRanges = this.windowsOn(day).map((w) => ({
        start: day * DAY_MS + w.start,
        end: day * DAY_MS + w.end,
      }));
      intervals = this.clock.instantsReading(wallRanges);
      if (this.covered.size >= MAX_CACHED_DAYS) this.covered.clear();
      this.covered.set(day, intervals);
    }
    return intervals;
  }

  /** Open windows of local day `day`, as ms since its local midnight. */
  private windowsOn(day: number): Interval[] {
    const key = dateKey(day);
    const weekday = isoWeekday(day);
    const windows = this.weekly[weekday] ?? [];
    if (this.closedDates.has(key)) return [];
    if (this.openDates.has(key)) return windows;
    if (!this.days.has(weekday)) return [];
    return this.holidays ? subtractIntervals(windows, this.holidays.closedOn(day)) : windows;
  }
}

function instantMs(instant: Date): number {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError('an instant is an invalid Date');
  return ms;
}

/** Durations count whole milliseconds, rounded up. */
function wholeMs(durationMs: number): number {
  if (!Number.isFinite(durationMs) || durationMs < 0) {
    throw new RangeError(`a covered duration must be a finite number of ms >= 0, got ${durationMs}`);
  }
  return Math.ceil(durationMs);
}
