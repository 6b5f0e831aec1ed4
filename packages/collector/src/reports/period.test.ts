import { describe, expect, it } from 'vitest';
import { datesPeriod, monthOf, monthPeriod, previousMonth } from './period.js';

describe('report periods in the tenant time zone', () => {
  it('runs a month from local midnight to local midnight, across the daylight-saving change', () => {
    const march = monthPeriod('2026-03', 'Europe/Paris');
    expect([march.from.toISOString(), march.to.toISOString()]).toEqual([
      '2026-02-28T23:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
    ]);
    // 31 days less the hour lost on the 29th.
    expect((march.to.getTime() - march.from.getTime()) / 3_600_000).toBe(743);
    const october = monthPeriod('2026-10', 'Europe/Paris');
    expect((october.to.getTime() - october.from.getTime()) / 3_600_000).toBe(745);
    expect(monthPeriod('2026-12', 'UTC').to.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(monthPeriod('2026-01', 'America/New_York').from.toISOString()).toBe('2026-01-01T05:00:00.000Z');
  });

  it('tells the local month of an instant, and the month before', () => {
    expect(monthOf(new Date('2026-03-31T21:59:59.000Z'), 'Europe/Paris')).toBe('2026-03');
    expect(monthOf(new Date('2026-03-31T22:00:00.000Z'), 'Europe/Paris')).toBe('2026-04');
    expect(previousMonth('2026-01')).toBe('2025-12');
    expect(previousMonth('2026-10')).toBe('2026-09');
  });

  it('takes any period of local dates, the last day included, and refuses bad ones', () => {
    const p = datesPeriod('2026-03-28', '2026-03-29', 'Europe/Paris');
    expect([p.from.toISOString(), p.to.toISOString(), p.label]).toEqual([
      '2026-03-27T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      '2026-03-28..2026-03-29',
    ]);
    expect(() => datesPeriod('2026-02-30', '2026-03-01', 'UTC')).toThrow(/"2026-02-30" is not a date/);
    expect(() => datesPeriod('2026-03-02', '2026-03-01', 'UTC')).toThrow(
      /ends \(2026-03-01\) before it starts/,
    );
    expect(() => monthPeriod('2026-13', 'UTC')).toThrow(/not YYYY-MM/);
  });
});
