import { describe, expect, it } from 'vitest';
import { recurrenceProblems, runsBetween, type WindowTiming } from './recurrence.js';

const at = (iso: string) => Date.parse(iso);
const iso = (runs: Array<{ start: number; end: number }>) =>
  runs.map((r) => [new Date(r.start).toISOString(), new Date(r.end).toISOString()]);
const INF = Number.POSITIVE_INFINITY;

describe('maintenance window runs', () => {
  it('a one-off window runs from its start to its end, clipped to the period and to an early end', () => {
    const w: WindowTiming = {
      startsAt: at('2026-11-28T20:00:00Z'),
      endsAt: at('2026-11-28T22:00:00Z'),
      recurrence: undefined,
      cancelledAt: INF,
    };
    expect(iso(runsBetween(w, at('2026-11-28T00:00:00Z'), at('2026-11-29T00:00:00Z')))).toEqual([
      ['2026-11-28T20:00:00.000Z', '2026-11-28T22:00:00.000Z'],
    ]);
    expect(iso(runsBetween({ ...w, cancelledAt: at('2026-11-28T21:00:00Z') }, 0, INF))).toEqual([
      ['2026-11-28T20:00:00.000Z', '2026-11-28T21:00:00.000Z'],
    ]);
    expect(runsBetween(w, at('2026-11-28T22:00:00Z'), INF)).toEqual([]);
  });

  it('a weekly window runs at its local time on its weekdays, across the autumn clock change', () => {
    // Sundays 02:00-04:00 in Paris: 00:00-02:00Z in summer (UTC+2); on 2026-10-25, the clock goes back at 03:00,
    // so 02:00-04:00 local lasts three real hours (00:00Z-03:00Z); in winter (UTC+1) 01:00-03:00Z.
    const w: WindowTiming = {
      startsAt: at('2026-10-01T00:00:00Z'),
      endsAt: INF,
      recurrence: { every: 'week', days: [7], at: '02:00', duration: '2h', timeZone: 'Europe/Paris' },
      cancelledAt: INF,
    };
    expect(iso(runsBetween(w, at('2026-10-17T00:00:00Z'), at('2026-11-02T00:00:00Z')))).toEqual([
      ['2026-10-18T00:00:00.000Z', '2026-10-18T02:00:00.000Z'],
      ['2026-10-25T00:00:00.000Z', '2026-10-25T03:00:00.000Z'],
      ['2026-11-01T01:00:00.000Z', '2026-11-01T03:00:00.000Z'],
    ]);
  });

  it('a daily window crossing midnight, from its first day, and a run under way at the start of the period', () => {
    const w: WindowTiming = {
      startsAt: at('2026-11-28T00:00:00Z'),
      endsAt: at('2026-11-30T12:00:00Z'),
      recurrence: { every: 'day', at: '23:00', duration: '3h', timeZone: 'UTC' },
      cancelledAt: INF,
    };
    expect(iso(runsBetween(w, at('2026-11-29T01:00:00Z'), INF))).toEqual([
      ['2026-11-29T01:00:00.000Z', '2026-11-29T02:00:00.000Z'],
      ['2026-11-29T23:00:00.000Z', '2026-11-30T02:00:00.000Z'],
    ]);
  });

  it('names what is wrong in a recurrence', () => {
    expect(
      recurrenceProblems(
        { every: 'week', at: '02:00', duration: '9d', timeZone: 'Mars/Olympus' },
        '/recurrence',
      ),
    ).toEqual([
      '/recurrence/days: required with every: week',
      '/recurrence/duration: between 1 second and 7 days',
      expect.stringMatching(/^\/recurrence\/timeZone: unknown time zone "Mars\/Olympus"/),
    ]);
  });
});
