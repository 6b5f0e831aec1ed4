import { describe, expect, it } from 'vitest';
import { type BusinessCalendarConfig, type CoverageCalendar, createCoverageCalendar } from './calendar.js';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

/** Europe/Paris, Monday to Friday 09:00-18:00, French public holidays. */
function parisOffice(extra: Partial<BusinessCalendarConfig> = {}): CoverageCalendar {
  return createCoverageCalendar({
    kind: 'business',
    timeZone: 'Europe/Paris',
    days: [1, 2, 3, 4, 5],
    hours: [{ from: '09:00', to: '18:00' }],
    holidays: { country: 'FR' },
    ...extra,
  });
}

/** Every day of the week, the given windows, Europe/Paris local time. */
function parisEveryDay(...hours: [string, string][]): CoverageCalendar {
  return createCoverageCalendar({
    kind: 'business',
    timeZone: 'Europe/Paris',
    days: [1, 2, 3, 4, 5, 6, 7],
    hours: hours.map(([from, to]) => ({ from, to })),
  });
}

const dueAt = (calendar: CoverageCalendar, start: string, hours: number) =>
  calendar.addCoveredTime(at(start), hours * HOUR).toISOString();

describe('business hours, Europe/Paris 09:00-18:00 Monday to Friday', () => {
  const office = parisOffice();

  it('carries a 6 h target from Friday 16:00 over the weekend to Monday 13:00', () => {
    expect(dueAt(office, '2026-11-27T16:00:00+01:00', 6)).toBe('2026-11-30T12:00:00.000Z'); // Mon 13:00 CET
  });

  it('carries a 2 h target from Friday 17:30 to Monday 10:30', () => {
    expect(dueAt(office, '2026-11-27T17:30:00+01:00', 2)).toBe('2026-11-30T09:30:00.000Z'); // Mon 10:30 CET
  });

  it('falls due at the close when the target ends exactly there, not at the next opening', () => {
    expect(dueAt(office, '2026-11-27T16:00:00+01:00', 2)).toBe('2026-11-27T17:00:00.000Z'); // Fri 18:00 CET
  });

  it('starts counting at the next opening when a ticket opens out of hours', () => {
    expect(dueAt(office, '2026-11-28T11:00:00+01:00', 1)).toBe('2026-11-30T09:00:00.000Z'); // Mon 10:00 CET
    expect(dueAt(office, '2026-11-30T07:00:00+01:00', 1)).toBe('2026-11-30T09:00:00.000Z'); // Mon 10:00 CET
  });

  it('answers the opening instant for a zero duration', () => {
    expect(dueAt(office, '2026-11-28T11:00:00+01:00', 0)).toBe('2026-11-28T10:00:00.000Z');
  });

  it('tells covered instants from closed ones', () => {
    expect(office.isCovered(at('2026-11-30T09:00:00+01:00'))).toBe(true);
    expect(office.isCovered(at('2026-11-30T17:59:59.999+01:00'))).toBe(true);
    expect(office.isCovered(at('2026-11-30T18:00:00+01:00'))).toBe(false);
    expect(office.isCovered(at('2026-11-30T08:59:59.999+01:00'))).toBe(false);
    expect(office.isCovered(at('2026-11-28T12:00:00+01:00'))).toBe(false); // Saturday
  });

  it('counts the covered time between two instants, and none backwards', () => {
    const friday = at('2026-11-27T16:00:00+01:00');
    const monday = at('2026-11-30T13:00:00+01:00');
    expect(office.coveredTimeBetween(friday, monday)).toBe(6 * HOUR);
    expect(office.coveredTimeBetween(monday, friday)).toBe(0);
    expect(office.coveredTimeBetween(at('2026-11-30T00:00:00+01:00'), at('2026-12-07T00:00:00+01:00'))).toBe(
      45 * HOUR,
    );
  });

  it('rejects a negative duration and an invalid date', () => {
    expect(() => office.addCoveredTime(at('2026-11-30T09:00:00+01:00'), -1)).toThrow(RangeError);
    expect(() => office.addCoveredTime(at('Friday'), HOUR)).toThrow('invalid Date');
    expect(() => office.isCovered(at('Friday'))).toThrow('invalid Date');
  });
});

describe('public holidays', () => {
  const office = parisOffice();

  it('skips 14 July 2026, a Tuesday: Monday 17:00 + 6 h is due Wednesday 14:00', () => {
    expect(office.isCovered(at('2026-07-14T10:00:00+02:00'))).toBe(false);
    expect(dueAt(office, '2026-07-13T17:00:00+02:00', 6)).toBe('2026-07-15T12:00:00.000Z'); // Wed 14:00 CEST
  });

  it('skips Easter Monday 2027, which is 29 March (Easter Sunday is 28 March, the spring-forward night)', () => {
    // Friday 26 March 16:00 CET + 6 h: 2 h on Friday, weekend, Easter Monday, then 4 h on Tuesday in summer time.
    expect(dueAt(office, '2027-03-26T16:00:00+01:00', 6)).toBe('2027-03-30T11:00:00.000Z'); // Tue 13:00 CEST
    // Monday 5 April 2027 is an ordinary working day.
    expect(dueAt(office, '2027-04-02T16:00:00+02:00', 6)).toBe('2027-04-05T11:00:00.000Z'); // Mon 13:00 CEST
  });

  it('skips Ascension Thursday, in 2026 (14 May) and 2027 (6 May)', () => {
    expect(dueAt(office, '2026-05-13T15:00:00+02:00', 6)).toBe('2026-05-15T10:00:00.000Z'); // Fri 12:00 CEST
    expect(dueAt(office, '2027-05-05T15:00:00+02:00', 6)).toBe('2027-05-07T10:00:00.000Z'); // Fri 12:00 CEST
  });

  it('walks the May bridges: 72 h from Thursday 30 April 09:00 skips 1 and 8 May', () => {
    // 30 April 9 h, then 63 h = 7 open days: 4, 5, 6, 7, 11, 12 and 13 May, ending at the close on the 13th.
    expect(dueAt(office, '2026-04-30T09:00:00+02:00', 72)).toBe('2026-05-13T16:00:00.000Z'); // Wed 18:00 CEST
  });

  it('is fast: a 24 h target over the Christmas season, from every quarter hour of December', () => {
    const season = parisOffice({ extraClosedDates: ['2026-12-24', '2026-12-31'] });
    const start = Date.parse('2026-12-01T00:00:00+01:00');
    const began = performance.now();
    for (let i = 0; i < 31 * 96; i++) season.addCoveredTime(new Date(start + i * 15 * 60_000), 24 * HOUR);
    expect(performance.now() - began).toBeLessThan(2000);
    // Wed 23 Dec 09:00: 9 h, 24 Dec closed, 25 Dec Christmas, 28 Dec 9 h, 29 Dec 09:00 + 6 h.
    expect(dueAt(season, '2026-12-23T09:00:00+01:00', 24)).toBe('2026-12-29T14:00:00.000Z'); // Tue 15:00 CET
  });
});

describe('daylight saving time in Europe/Paris (2026-03-29 spring forward, 2026-10-25 fall back)', () => {
  const always = createCoverageCalendar({ kind: '24x7' });
  const retail = parisEveryDay(['00:00', '24:00']);

  it('counts real time on a 24x7 calendar: the wall clock moves 7 h in 6 h in spring, 5 h in autumn', () => {
    expect(dueAt(always, '2026-03-28T23:00:00+01:00', 6)).toBe('2026-03-29T04:00:00.000Z'); // 06:00 CEST
    expect(dueAt(always, '2026-10-24T23:00:00+02:00', 6)).toBe('2026-10-25T03:00:00.000Z'); // 04:00 CET
  });

  it('gives a 00:00-24:00 calendar the same answers: 23 h on the spring day, 25 h on the autumn one', () => {
    expect(dueAt(retail, '2026-03-28T23:00:00+01:00', 6)).toBe('2026-03-29T04:00:00.000Z');
    expect(dueAt(retail, '2026-10-24T23:00:00+02:00', 6)).toBe('2026-10-25T03:00:00.000Z');
    expect(retail.coveredTimeBetween(at('2026-03-29T00:00:00+01:00'), at('2026-03-30T00:00:00+02:00'))).toBe(
      23 * HOUR,
    );
    expect(retail.coveredTimeBetween(at('2026-10-25T00:00:00+02:00'), at('2026-10-26T00:00:00+01:00'))).toBe(
      25 * HOUR,
    );
  });

  it('shortens a 01:00-04:00 night window to 2 h in spring: the due time skips 02:00-03:00', () => {
    const night = parisEveryDay(['01:00', '04:00']);
    expect(night.coveredTimeBetween(at('2026-03-29T00:00:00+01:00'), at('2026-03-30T00:00:00+02:00'))).toBe(
      2 * HOUR,
    );
    // Saturday 03:00 CET + 2 h: 03:00-04:00 Saturday, then Sunday from 01:00 CET for 1 h, which ends at 03:00 CEST.
    expect(dueAt(night, '2026-03-28T03:00:00+01:00', 2)).toBe('2026-03-29T01:00:00.000Z');
  });

  it('lengthens a 01:00-04:00 night window to 4 h in autumn: 02:00-03:00 is covered twice', () => {
    const night = parisEveryDay(['01:00', '04:00']);
    expect(night.coveredTimeBetween(at('2026-10-25T00:00:00+02:00'), at('2026-10-26T00:00:00+01:00'))).toBe(
      4 * HOUR,
    );
    // Saturday 03:00 CEST + 3 h: 03:00-04:00 Saturday, then Sunday 01:00 CEST + 2 h ends at the second 02:00 (CET).
    expect(dueAt(night, '2026-10-24T03:00:00+02:00', 3)).toBe('2026-10-25T01:00:00.000Z');
  });

  it('gives a 02:00-03:00 window nothing on the spring night and 2 h on the autumn night', () => {
    const hour = parisEveryDay(['02:00', '03:00']);
    // Saturday 02:30 CET + 1 h: 30 min on Saturday, none on Sunday, 30 min from Monday 02:00 CEST.
    expect(dueAt(hour, '2026-03-28T02:30:00+01:00', 1)).toBe('2026-03-30T00:30:00.000Z');
    expect(hour.coveredTimeBetween(at('2026-10-25T00:00:00+02:00'), at('2026-10-26T00:00:00+01:00'))).toBe(
      2 * HOUR,
    );
    expect(dueAt(hour, '2026-10-25T00:30:00Z', 1)).toBe('2026-10-25T01:30:00.000Z'); // the second 02:30, CET
  });

  it('covers only the wall times inside a window that starts in the overlap', () => {
    const late = parisEveryDay(['02:30', '04:00']);
    expect(late.isCovered(at('2026-10-25T00:45:00Z'))).toBe(true); // 02:45 CEST
    expect(late.isCovered(at('2026-10-25T01:15:00Z'))).toBe(false); // 02:15 CET, the second time round
    expect(late.isCovered(at('2026-10-25T01:45:00Z'))).toBe(true); // 02:45 CET
    expect(late.coveredTimeBetween(at('2026-10-25T00:00:00+02:00'), at('2026-10-26T00:00:00+01:00'))).toBe(
      2 * HOUR,
    );
  });

  it('keeps office hours in local time across both changes', () => {
    const office = parisOffice();
    expect(dueAt(office, '2026-03-27T16:00:00+01:00', 6)).toBe('2026-03-30T11:00:00.000Z'); // Mon 13:00 CEST
    expect(dueAt(office, '2026-10-23T16:00:00+02:00', 6)).toBe('2026-10-26T12:00:00.000Z'); // Mon 13:00 CET
  });
});

describe('windows and dates', () => {
  it('pauses for a lunch break', () => {
    const lunch = parisOffice({
      hours: [
        { from: '13:30', to: '18:00' },
        { from: '09:00', to: '12:30' },
      ],
    });
    expect(lunch.isCovered(at('2026-11-30T12:45:00+01:00'))).toBe(false);
    expect(dueAt(lunch, '2026-11-30T11:00:00+01:00', 2)).toBe('2026-11-30T13:00:00.000Z'); // Mon 14:00 CET
    expect(dueAt(lunch, '2026-11-30T12:45:00+01:00', 1)).toBe('2026-11-30T13:30:00.000Z'); // Mon 14:30 CET
    expect(lunch.coveredTimeBetween(at('2026-11-30T00:00:00+01:00'), at('2026-12-01T00:00:00+01:00'))).toBe(
      8 * HOUR,
    );
  });

  it('closes extra dates: Christmas Eve 2026', () => {
    expect(dueAt(parisOffice(), '2026-12-23T17:00:00+01:00', 2)).toBe('2026-12-24T09:00:00.000Z'); // Thu 10:00
    const closed = parisOffice({ extraClosedDates: ['2026-12-24'] });
    // 24 Dec closed, 25 Dec Christmas, weekend: due Monday 28 December 10:00 CET.
    expect(dueAt(closed, '2026-12-23T17:00:00+01:00', 2)).toBe('2026-12-28T09:00:00.000Z');
  });

  it('opens extra dates with their weekday`s hours, even a Saturday or a public holiday', () => {
    const saturday = parisOffice({ extraOpenDates: ['2026-11-28'] });
    expect(dueAt(saturday, '2026-11-27T16:00:00+01:00', 6)).toBe('2026-11-28T12:00:00.000Z'); // Sat 13:00 CET
    const bastille = parisOffice({ extraOpenDates: ['2026-07-14'] });
    expect(dueAt(bastille, '2026-07-13T17:00:00+02:00', 6)).toBe('2026-07-14T12:00:00.000Z'); // Tue 14:00 CEST
  });

  it('skips an open weekday that has no window: Wednesdays off', () => {
    const noWednesday = parisOffice({ hoursByDay: { '3': [] } });
    expect(noWednesday.isCovered(at('2026-12-02T10:00:00+01:00'))).toBe(false);
    expect(dueAt(noWednesday, '2026-12-01T17:00:00+01:00', 2)).toBe('2026-12-03T09:00:00.000Z'); // Thu 10:00 CET
  });

  it('uses a weekday`s own windows: Saturday mornings', () => {
    const saturdays = parisOffice({
      days: [1, 2, 3, 4, 5, 6],
      hoursByDay: { '6': [{ from: '09:00', to: '12:00' }] },
    });
    // Friday 2 h, Saturday 3 h, Monday 1 h.
    expect(dueAt(saturdays, '2026-11-27T16:00:00+01:00', 6)).toBe('2026-11-30T09:00:00.000Z'); // Mon 10:00 CET
  });

  it('joins windows that touch', () => {
    const split = parisEveryDay(['12:00', '24:00'], ['00:00', '12:00']);
    expect(split.coveredTimeBetween(at('2026-11-30T00:00:00+01:00'), at('2026-12-02T00:00:00+01:00'))).toBe(
      48 * HOUR,
    );
  });
});

describe('configuration errors name the bad key', () => {
  const business = {
    kind: 'business',
    timeZone: 'Europe/Paris',
    days: [1, 2, 3, 4, 5],
    hours: [{ from: '09:00', to: '18:00' }],
  };
  const problem = (config: object) => () => createCoverageCalendar(config);

  it('rejects a window that ends before it starts, or overlaps another', () => {
    expect(problem({ ...business, hours: [{ from: '13:30', to: '12:30' }] })).toThrow(
      '/hours/0/to: 12:30 is not after from 13:30',
    );
    expect(
      problem({
        ...business,
        hours: [
          { from: '09:00', to: '12:30' },
          { from: '12:00', to: '18:00' },
        ],
      }),
    ).toThrow('/hours/1: 12:00-18:00 overlaps /hours/0 (09:00-12:30)');
    expect(problem({ ...business, hoursByDay: { '2': [{ from: '10:00', to: '10:00' }] } })).toThrow(
      '/hoursByDay/2/0/to: 10:00 is not after from 10:00',
    );
  });

  it('rejects a time that is not HH:MM', () => {
    expect(problem({ ...business, hours: [{ from: '9h', to: '18:00' }] })).toThrow('/hours/0/from');
    expect(problem({ ...business, hours: [{ from: '09:00', to: '24:30' }] })).toThrow('/hours/0/to');
  });

  it('rejects an unknown time zone', () => {
    expect(problem({ ...business, timeZone: 'Europe/Pariss' })).toThrow(
      '/timeZone: unknown time zone "Europe/Pariss"',
    );
  });

  it('rejects an unknown holiday country or region', () => {
    expect(problem({ ...business, holidays: { country: 'XX' } })).toThrow('/holidays/country');
    expect(problem({ ...business, holidays: { country: 'FR', region: 'Alsace' } })).toThrow(
      '/holidays/region',
    );
    expect(problem({ ...business, holidays: { country: 'FR', types: ['feast'] } })).toThrow(
      '/holidays/types/0',
    );
  });

  it('rejects bad dates and a date both closed and open', () => {
    expect(problem({ ...business, extraClosedDates: ['2026-02-30'] })).toThrow(
      '/extraClosedDates/0: 2026-02-30 is not a date',
    );
    expect(
      problem({ ...business, extraClosedDates: ['2026-12-24'], extraOpenDates: ['2026-12-24'] }),
    ).toThrow('/extraOpenDates/0: 2026-12-24 is also closed');
  });

  it('rejects a calendar that never covers any time, and weekday hours for a closed weekday', () => {
    expect(problem({ ...business, days: [] })).toThrow('/days: no open weekday has a window');
    expect(problem({ ...business, hoursByDay: { '6': [{ from: '09:00', to: '12:00' }] } })).toThrow(
      '/hoursByDay/6: weekday 6 is not in days',
    );
  });

  it('rejects an unknown kind and unknown keys', () => {
    expect(problem({ kind: '24x5' })).toThrow('/kind: expected one of 24x7, business, got "24x5"');
    expect(problem({ ...business, weekends: true })).toThrow('/weekends');
  });
});
