// Report periods in the tenant's time zone: a calendar month runs from local midnight of its first day to local
// midnight of the next month's first day, whatever the offset (daylight saving) on either side.
import { WallClock } from '../sla/wall-clock.js';

export interface Period {
  from: Date;
  /** Excluded. */
  to: Date;
  timeZone: string;
  /** `YYYY-MM` for a calendar month, else `YYYY-MM-DD..YYYY-MM-DD` (local dates, the last one included). */
  label: string;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The instant at which the local clock of `timeZone` first reads midnight of a local date (y, m 1-12, d). */
export function localMidnight(timeZone: string, y: number, m: number, d: number): Date {
  const wall = Date.UTC(y, m - 1, d);
  const clock = new WallClock(timeZone);
  // A midnight skipped by a spring-forward gap: the day starts at the first instant after the gap.
  const [first] = clock.instantsReading([{ start: wall, end: wall + 3 * 3_600_000 }]);
  return new Date(first ? first.start : wall - clock.offsetAt(wall));
}

export function monthPeriod(month: string, timeZone: string): Period {
  const m = MONTH.exec(month);
  if (!m) throw new RangeError(`month "${month}" is not YYYY-MM`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return {
    from: localMidnight(timeZone, y, mo, 1),
    to: mo === 12 ? localMidnight(timeZone, y + 1, 1, 1) : localMidnight(timeZone, y, mo + 1, 1),
    timeZone,
    label: month,
  };
}

/** The calendar month (`YYYY-MM`) an instant falls in, locally. */
export function monthOf(instant: Date, timeZone: string): string {
  const wall = new WallClock(timeZone).wallAt(instant.getTime());
  return new Date(wall).toISOString().slice(0, 7);
}

/** The month before `YYYY-MM`. */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** A period between two local dates, both included (`to` is the last day). */
export function datesPeriod(fromDate: string, toDate: string, timeZone: string): Period {
  const parse = (s: string) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    const t = Date.parse(`${s}T00:00:00Z`);
    if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s)
      throw new RangeError(`"${s}" is not a date (YYYY-MM-DD)`);
    return [Number(m[1]), Number(m[2]), Number(m[3])] as const;
  };
  const [y1, m1, d1] = parse(fromDate);
  const [y2, m2, d2] = parse(toDate);
  if (toDate < fromDate) throw new RangeError(`the period ends (${toDate}) before it starts (${fromDate})`);
  const next = new Date(Date.UTC(y2, m2 - 1, d2 + 1));
  return {
    from: localMidnight(timeZone, y1, m1, d1),
    to: localMidnight(timeZone, next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()),
    timeZone,
    label: `${fromDate}..${toDate}`,
  };
}
