import { describe, expect, it } from 'vitest';
import { type CronSchedule, cronMatches, parseCron } from './cron.js';

function parsed(expression: string): CronSchedule {
  const s = parseCron(expression);
  if (typeof s === 'string') throw new Error(s);
  return s;
}

/** A local time (the schedules are in the host's time zone). */
const local = (y: number, mo: number, d: number, h: number, mi: number, s: number) =>
  new Date(y, mo - 1, d, h, mi, s);

describe('cron schedules', () => {
  it('matches the default config schedules at their seconds', () => {
    const everyMinuteAt10 = parsed('10 * * * * *');
    expect(cronMatches(everyMinuteAt10, local(2026, 3, 2, 8, 0, 10))).toBe(true);
    expect(cronMatches(everyMinuteAt10, local(2026, 3, 2, 8, 0, 11))).toBe(false);
    const every5min = parsed('30 */5 * * * *');
    expect(cronMatches(every5min, local(2026, 3, 2, 8, 15, 30))).toBe(true);
    expect(cronMatches(every5min, local(2026, 3, 2, 8, 16, 30))).toBe(false);
    const every6h = parsed('0 7 */6 * * *');
    expect([0, 6, 12, 18].every((h) => cronMatches(every6h, local(2026, 3, 2, h, 7, 0)))).toBe(true);
    expect(cronMatches(every6h, local(2026, 3, 2, 7, 7, 0))).toBe(false);
  });

  it('takes 5 fields as second 0, ranges, lists, steps, names, 7 as Sunday and nicknames', () => {
    expect(cronMatches(parsed('* * * * *'), local(2026, 3, 2, 8, 1, 0))).toBe(true);
    expect(cronMatches(parsed('* * * * *'), local(2026, 3, 2, 8, 1, 1))).toBe(false);
    const weekdays = parsed('0 30 6 * * mon-fri');
    expect(cronMatches(weekdays, local(2026, 3, 2, 6, 30, 0))).toBe(true); // a Monday
    expect(cronMatches(weekdays, local(2026, 3, 1, 6, 30, 0))).toBe(false); // a Sunday
    expect(cronMatches(parsed('0 0 3 * * 7'), local(2026, 3, 1, 3, 0, 0))).toBe(true);
    expect(cronMatches(parsed('0 0 3 * * SUN'), local(2026, 3, 1, 3, 0, 0))).toBe(true);
    expect(cronMatches(parsed('0 0 1,15 jan,jul ?'), local(2026, 7, 15, 0, 0, 0))).toBe(true);
    expect(cronMatches(parsed('10-20/5 * * * * *'), local(2026, 3, 2, 8, 0, 15))).toBe(true);
    expect(cronMatches(parsed('10/20 * * * * *'), local(2026, 3, 2, 8, 0, 50))).toBe(true);
    expect(cronMatches(parsed('@hourly'), local(2026, 3, 2, 9, 0, 0))).toBe(true);
    // Day of month and weekday must both match (as node-cron did).
    expect(cronMatches(parsed('0 0 0 13 * fri'), local(2026, 2, 13, 0, 0, 0))).toBe(true);
    expect(cronMatches(parsed('0 0 0 13 * fri'), local(2026, 3, 13, 0, 0, 0))).toBe(true);
    expect(cronMatches(parsed('0 0 0 13 * fri'), local(2026, 4, 13, 0, 0, 0))).toBe(false);
  });

  it('says why an expression is refused', () => {
    expect(parseCron('every minute')).toBe('has 2 fields (5, or 6 with seconds first)');
    expect(parseCron('60 * * * * *')).toBe('second "60": 60 is outside 0-59');
    expect(parseCron('* * * * * L')).toMatch(/weekday "L": "L": L, W and # are not supported/);
    expect(parseCron('*/0 * * * *')).toMatch(/step "0" is not a positive integer/);
    expect(parseCron('5-1 * * * *')).toMatch(/runs backwards/);
    expect(parseCron('* * * foo *')).toMatch(/month "foo": "foo" is not a number or a name/);
  });
});
