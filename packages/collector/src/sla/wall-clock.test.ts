import { describe, expect, it } from 'vitest';
import { DAY_MS, dateKey, dayOfDateKey, isoWeekday, WallClock } from './wall-clock.js';

const HOUR = 3_600_000;
const ms = (iso: string) => Date.parse(iso);
const iso = (intervals: { start: number; end: number }[]) =>
  intervals.map((i) => `${new Date(i.start).toISOString()}/${new Date(i.end).toISOString()}`);

describe('WallClock', () => {
  const paris = new WallClock('Europe/Paris');

  it('reads the zone offset in winter and summer', () => {
    expect(paris.offsetAt(ms('2026-01-15T12:00:00Z'))).toBe(HOUR);
    expect(paris.offsetAt(ms('2026-07-15T12:00:00Z'))).toBe(2 * HOUR);
    expect(paris.offsetAt(ms('2026-03-29T00:59:59.999Z'))).toBe(HOUR);
    expect(paris.offsetAt(ms('2026-03-29T01:00:00Z'))).toBe(2 * HOUR);
    expect(new WallClock('Asia/Kolkata').offsetAt(ms('2026-01-15T12:00:00Z'))).toBe(5.5 * HOUR);
  });

  it('finds no instant reading a wall time skipped by the spring-forward gap', () => {
    const day = dayOfDateKey('2026-03-29') as number;
    const wall = (h: number) => day * DAY_MS + h * HOUR;
    expect(paris.instantsReading([{ start: wall(2), end: wall(3) }])).toEqual([]);
    expect(iso(paris.instantsReading([{ start: wall(1), end: wall(4) }]))).toEqual([
      '2026-03-29T00:00:00.000Z/2026-03-29T02:00:00.000Z',
    ]);
  });

  it('finds both instants reading a wall time repeated by the fall-back overlap', () => {
    const day = dayOfDateKey('2026-10-25') as number;
    const wall = (h: number) => day * DAY_MS + h * HOUR;
    expect(iso(paris.instantsReading([{ start: wall(2), end: wall(3) }]))).toEqual([
      '2026-10-25T00:00:00.000Z/2026-10-25T02:00:00.000Z',
    ]);
    expect(iso(paris.instantsReading([{ start: wall(2.5), end: wall(4) }]))).toEqual([
      '2026-10-25T00:30:00.000Z/2026-10-25T01:00:00.000Z',
      '2026-10-25T01:30:00.000Z/2026-10-25T03:00:00.000Z',
    ]);
  });

  it('rejects an unknown zone', () => {
    expect(() => new WallClock('Europe/Pariss')).toThrow('unknown time zone "Europe/Pariss"');
  });
});

describe('local dates', () => {
  it('names weekdays the ISO way and round-trips dates', () => {
    const day = dayOfDateKey('2026-11-30') as number;
    expect(isoWeekday(day)).toBe(1);
    expect(isoWeekday(day - 1)).toBe(7);
    expect(isoWeekday(dayOfDateKey('1969-12-31') as number)).toBe(3);
    expect(dateKey(day)).toBe('2026-11-30');
    expect(dayOfDateKey('2026-02-30')).toBeUndefined();
    expect(dayOfDateKey('2026-2-3')).toBeUndefined();
  });
});
