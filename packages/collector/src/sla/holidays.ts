// Public holidays from date-holidays, as the local wall-time ranges during which a coverage calendar is closed.
import Holidays from 'date-holidays';
import { DAY_MS, dayOfDateKey, type Interval, WallClock } from './wall-clock.js';

export const HOLIDAY_TYPES = ['public', 'bank', 'optional', 'school', 'observance'] as const;
export type HolidayType = (typeof HOLIDAY_TYPES)[number];

export interface HolidaySource {
  /** ISO 3166-1 alpha-2 country, as date-holidays knows it (`FR`). */
  country: string;
  /** A first-level subdivision as date-holidays names it (`67` for Bas-Rhin, `BY` for Bavaria). */
  region?: string | undefined;
  /** Which kinds of holiday close the calendar; default `['public']`. */
  types?: HolidayType[] | undefined;
}

let known: Holidays | undefined;
function directory(): Holidays {
  known ??= new Holidays();
  return known;
}

/** Problems with a holiday source (unknown country or region), each naming its key under `at`. */
export function holidaySourceProblems(source: HolidaySource, at: string): string[] {
  const countries = directory().getCountries();
  if (!(source.country in countries)) {
    return [`${at}/country: date-holidays knows no country "${source.country}" (expected e.g. FR, DE, BE)`];
  }
  if (source.region === undefined) return [];
  const regions = directory().getStates(source.country) ?? {};
  if (source.region in regions) return [];
  const list = Object.keys(regions);
  return [
    `${at}/region: date-holidays knows no region "${source.region}" in ${source.country} (${
      list.length > 0 ? `known: ${list.join(', ')}` : 'it has none'
    })`,
  ];
}

/**
 * The holidays of one country (and region), read year by year. A holiday closes its local date from the time
 * date-holidays gives (00:00 for all of France's public holidays; 14:00 for e.g. Germany's Christmas Eve, a
 * bank holiday) until its end, both as the country's clock reads them; the calendar applies that wall range
 * to its own local dates, so 14 July closes 00:00-24:00 even for a calendar kept in another zone.
 */
export class HolidayClosures {
  private readonly source: Holidays;
  /** The country's clock, to read a holiday's end as a wall time (undefined: date-holidays names no zone). */
  private readonly clock: WallClock | undefined;
  private readonly byDay = new Map<number, Interval[]>();
  private readonly loadedYears = new Set<number>();

  constructor(config: HolidaySource) {
    const types = config.types ?? ['public'];
    const where =
      config.region === undefined ? config.country : { country: config.country, state: config.region };
    this.source = new Holidays(where, { types });
    const zone = this.source.getTimezones()[0];
    this.clock = zone === undefined ? undefined : new WallClock(zone);
  }

  /** Closed ranges on local day `day`, as ms since that day's local midnight. */
  closedOn(day: number): Interval[] {
    const year = new Date(day * DAY_MS).getUTCFullYear();
    // A holiday may run over New Year, so the year before is read too.
    this.load(year - 1);
    this.load(year);
    return this.byDay.get(day) ?? [];
  }

  private load(year: number): void {
    if (this.loadedYears.has(year)) return;
    this.loadedYears.add(year);
    for (const h of this.source.getHolidays(year)) {
      const day = dayOfDateKey(h.date.slice(0, 10));
      if (day === undefined)
        throw new Error(`date-holidays returned an unreadable date "${h.date}" (${h.name})`);
      const [hh, mm, ss] = h.date.slice(11, 19).split(':').map(Number);
      const start = day * DAY_MS + ((hh ?? 0) * 3600 + (mm ?? 0) * 60 + (ss ?? 0)) * 1000;
      const end = this.clock
        ? this.clock.wallAt(h.end.getTime())
        : start + (h.end.getTime() - h.start.getTime());
      this.close(start, end);
    }
  }

  /** Records the wall range [start, end), split at local midnights. */
  private close(start: number, end: number): void {
    for (let day = Math.floor(start / DAY_MS); day * DAY_MS < end; day++) {
      const from = Math.max(start, day * DAY_MS) - day * DAY_MS;
      const to = Math.min(end, (day + 1) * DAY_MS) - day * DAY_MS;
      const list = this.byDay.get(day) ?? [];
      list.push({ start: from, end: to });
      this.byDay.set(day, list);
    }
  }
}
