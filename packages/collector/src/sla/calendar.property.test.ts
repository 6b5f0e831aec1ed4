import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CoverageCalendar, createCoverageCalendar } from './calendar.js';

const HOUR = 3_600_000;
const from = Date.parse('2025-01-01T00:00:00Z');
const to = Date.parse('2031-01-01T00:00:00Z');
// Clock changes in 2026 (Paris, New York, Beirut, Santiago, Lord Howe), where the arithmetic is hardest.
const transitions = [
  '2026-03-29T01:00:00Z',
  '2026-10-25T01:00:00Z',
  '2026-03-08T07:00:00Z',
  '2026-11-01T06:00:00Z',
  '2026-03-28T22:00:00Z',
  '2026-10-24T21:00:00Z',
  '2026-04-05T03:00:00Z',
  '2026-09-06T04:00:00Z',
  '2026-04-04T15:00:00Z',
  '2026-10-03T15:30:00Z',
].map(Date.parse);
const instant = fc
  .oneof(
    fc.integer({ min: from, max: to }),
    fc
      .tuple(fc.constantFrom(...transitions), fc.integer({ min: -2 * 86_400_000, max: 2 * 86_400_000 }))
      .map(([t, shift]) => t + shift),
  )
  .map((ms) => new Date(ms));
const duration = fc.integer({ min: 0, max: 300 * HOUR });

const calendars: Record<string, CoverageCalendar> = {
  '24x7': createCoverageCalendar({ kind: '24x7' }),
  'Paris office with lunch break and holidays': createCoverageCalendar({
    kind: 'business',
    timeZone: 'Europe/Paris',
    days: [1, 2, 3, 4, 5],
    hours: [
      { from: '09:00', to: '12:30' },
      { from: '13:30', to: '18:00' },
    ],
    holidays: { country: 'FR' },
    extraClosedDates: ['2026-12-24'],
    extraOpenDates: ['2027-05-08'],
  }),
  'Paris nights, across the DST gap and overlap': createCoverageCalendar({
    kind: 'business',
    timeZone: 'Europe/Paris',
    days: [1, 2, 3, 4, 5, 6, 7],
    hours: [
      { from: '00:00', to: '02:15' },
      { from: '02:45', to: '03:30' },
      { from: '22:00', to: '24:00' },
    ],
  }),
  'New York retail, short Sundays': createCoverageCalendar({
    kind: 'business',
    timeZone: 'America/New_York',
    days: [1, 2, 3, 4, 5, 6, 7],
    hours: [{ from: '08:00', to: '21:00' }],
    hoursByDay: { '7': [{ from: '11:00', to: '17:00' }] },
    holidays: { country: 'US' },
  }),
};

describe.each(Object.entries(calendars))('%s', (_name, calendar) => {
  it('finds again, between start and due time, exactly the covered time it added', () => {
    fc.assert(
      fc.property(instant, duration, (start, d) => {
        expect(calendar.coveredTimeBetween(start, calendar.addCoveredTime(start, d))).toBe(d);
      }),
    );
  });

  it('never moves a due time earlier for a longer duration', () => {
    fc.assert(
      fc.property(instant, duration, duration, (start, d1, d2) => {
        const [short, long] = d1 <= d2 ? [d1, d2] : [d2, d1];
        expect(calendar.addCoveredTime(start, short).getTime()).toBeLessThanOrEqual(
          calendar.addCoveredTime(start, long).getTime(),
        );
      }),
    );
  });

  it('ends a due time on covered time', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 300 * HOUR }), (start, d) => {
        expect(calendar.isCovered(new Date(calendar.addCoveredTime(start, d).getTime() - 1))).toBe(true);
      }),
    );
  });

  it('agrees with isCovered millisecond by millisecond, and adds up over consecutive spans', () => {
    fc.assert(
      fc.property(instant, duration, duration, (a, d1, d2) => {
        expect(calendar.coveredTimeBetween(a, new Date(a.getTime() + 1))).toBe(calendar.isCovered(a) ? 1 : 0);
        const b = new Date(a.getTime() + d1);
        const c = new Date(b.getTime() + d2);
        expect(calendar.coveredTimeBetween(a, b) + calendar.coveredTimeBetween(b, c)).toBe(
          calendar.coveredTimeBetween(a, c),
        );
      }),
    );
  });
});

describe('a 00:00-24:00 calendar covers every instant exactly once, whatever the zone', () => {
  // Beirut and Santiago fall back at midnight; Lord Howe shifts by 30 minutes; Kathmandu is +05:45.
  const zones = ['Europe/Paris', 'Asia/Beirut', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Kathmandu'];
  it.each(zones)('%s', (timeZone) => {
    const always = createCoverageCalendar({
      kind: 'business',
      timeZone,
      days: [1, 2, 3, 4, 5, 6, 7],
      hours: [{ from: '00:00', to: '24:00' }],
    });
    fc.assert(
      fc.property(instant, duration, (start, d) => {
        expect(always.isCovered(start)).toBe(true);
        expect(always.addCoveredTime(start, d).getTime()).toBe(start.getTime() + d);
        expect(always.coveredTimeBetween(start, new Date(start.getTime() + d))).toBe(d);
      }),
    );
  });
});
