import { describe, expect, it } from 'vitest';
import type { Priority } from '../tickets/priority.js';
import { SlaClock, type SlaPause } from './clock.js';
import { createSlaContract } from './targets.js';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

/** Europe/Paris office hours, Monday to Friday 09:00-18:00, French public holidays. */
const contract = createSlaContract({
  calendar: {
    kind: 'business',
    timeZone: 'Europe/Paris',
    days: [1, 2, 3, 4, 5],
    hours: [{ from: '09:00', to: '18:00' }],
    holidays: { country: 'FR' },
  },
  response: { P1: '2h', P2: '6h', P3: '24h', P4: '3d' },
  resolution: { P1: '8h', P2: '24h', P3: '5d', P4: '10d' },
});

const clock = (priority: Priority, openedAt: string, pauses: SlaPause[] = []) =>
  new SlaClock(contract, { priority, openedAt: at(openedAt), pauses });

describe('SlaClock due times', () => {
  it('puts response and resolution due in covered time', () => {
    const c = clock('P2', '2026-11-27T16:00:00+01:00'); // Friday 16:00
    expect(c.responseDue?.toISOString()).toBe('2026-11-30T12:00:00.000Z'); // Monday 13:00 CET
    // 24 h: Friday 2 h, Monday 9 h, Tuesday 9 h, Wednesday 4 h.
    expect(c.resolutionDue?.toISOString()).toBe('2026-12-02T12:00:00.000Z'); // Wednesday 13:00 CET
  });

  it('pushes the due time by exactly the covered time spent waiting for the client', () => {
    const opened = '2026-11-27T14:00:00+01:00'; // Friday 14:00
    const without = clock('P2', opened).responseDue as Date;
    expect(without.toISOString()).toBe('2026-11-30T10:00:00.000Z'); // Monday 11:00 CET
    // Waiting from Friday 16:00 to Monday 10:00 is 3 covered hours: 16:00-18:00 and 09:00-10:00.
    const wait = { from: at('2026-11-27T16:00:00+01:00'), to: at('2026-11-30T10:00:00+01:00') };
    expect(contract.calendar.coveredTimeBetween(wait.from, wait.to)).toBe(3 * HOUR);
    const paused = clock('P2', opened, [wait]);
    expect(paused.responseDue?.toISOString()).toBe('2026-11-30T13:00:00.000Z'); // Monday 14:00 CET
    expect(paused.responseDue).toEqual(contract.calendar.addCoveredTime(without, 3 * HOUR));
  });

  it('ignores a wait that begins after the due time, even while it lasts', () => {
    const c = clock('P1', '2026-11-30T09:00:00+01:00', [{ from: at('2026-11-30T14:00:00+01:00') }]);
    expect(c.responseDue?.toISOString()).toBe('2026-11-30T10:00:00.000Z'); // Monday 11:00 CET
  });

  it('has no due time while a wait that began before it is still open', () => {
    const c = clock('P2', '2026-11-30T09:00:00+01:00', [{ from: at('2026-11-30T10:00:00+01:00') }]);
    expect(c.responseDue).toBeUndefined();
    expect(c.resolutionDue).toBeUndefined();
  });

  it('merges overlapping waits and ignores the part before the opening', () => {
    const c = clock('P2', '2026-11-30T09:00:00+01:00', [
      { from: at('2026-11-30T11:00:00+01:00'), to: at('2026-11-30T12:00:00+01:00') },
      { from: at('2026-11-30T08:00:00+01:00'), to: at('2026-11-30T10:00:00+01:00') },
      { from: at('2026-11-30T10:30:00+01:00'), to: at('2026-11-30T11:30:00+01:00') },
    ]);
    // Paused 09:00-10:00 and 10:30-12:00: 2.5 h, so 6 h end at 17:30.
    expect(c.responseDue?.toISOString()).toBe('2026-11-30T16:30:00.000Z');
    expect(() =>
      clock('P2', '2026-11-30T09:00:00+01:00', [
        { from: at('2026-11-30T11:00:00Z'), to: at('2026-11-30T10:00:00Z') },
      ]),
    ).toThrow('pause 0 is not an interval');
  });
});

describe('SlaClock elapsed time', () => {
  it('counts covered time only', () => {
    const c = clock('P2', '2026-11-27T16:00:00+01:00');
    expect(c.elapsed(at('2026-11-27T15:00:00+01:00'))).toBe(0);
    expect(c.elapsed(at('2026-11-29T12:00:00+01:00'))).toBe(2 * HOUR); // Sunday: Friday's 2 h
    expect(c.elapsed(at('2026-11-30T10:30:00+01:00'))).toBe(3.5 * HOUR);
  });

  it('stops while the ticket waits for the client', () => {
    const c = clock('P2', '2026-11-30T09:00:00+01:00', [{ from: at('2026-11-30T10:00:00+01:00') }]);
    expect(c.elapsed(at('2026-11-30T12:00:00+01:00'))).toBe(HOUR);
    expect(c.elapsed(at('2026-11-30T17:00:00+01:00'))).toBe(HOUR);
    expect(c.elapsed(at('2026-12-01T17:00:00+01:00'))).toBe(HOUR);
    const answered = clock('P2', '2026-11-30T09:00:00+01:00', [
      { from: at('2026-11-30T10:00:00+01:00'), to: at('2026-11-30T12:00:00+01:00') },
    ]);
    expect(answered.elapsed(at('2026-11-30T17:00:00+01:00'))).toBe(6 * HOUR);
  });
});

describe('SlaClock state', () => {
  // P1: response 2 h, opened Monday 30 November 09:00 CET, due 11:00 CET.
  const p1 = clock('P1', '2026-11-30T09:00:00+01:00');

  it('is on track before 75% of the target is used', () => {
    const s = p1.state(at('2026-11-30T10:29:00+01:00')).response;
    expect(s).toEqual({
      due: at('2026-11-30T10:00:00Z'),
      targetMs: 2 * HOUR,
      elapsedMs: 89 * 60_000,
      usedShare: 89 / 120,
      atRisk: false,
      breached: false,
      paused: false,
    });
  });

  it('is at risk from 75% of the target used', () => {
    const s = p1.state(at('2026-11-30T10:30:00+01:00')).response;
    expect(s.usedShare).toBe(0.75);
    expect(s.atRisk).toBe(true);
    expect(s.breached).toBe(false);
  });

  it('is breached after the due time, not at it', () => {
    expect(p1.state(at('2026-11-30T11:00:00+01:00')).response).toMatchObject({
      usedShare: 1,
      breached: false,
    });
    const late = p1.state(at('2026-11-30T11:00:00.001+01:00')).response;
    expect(late.breached).toBe(true);
    expect(late.atRisk).toBe(false); // breached, no longer merely at risk
  });

  it('stays met, not breached, when acknowledged before the due time, however late it is read', () => {
    const s = p1.state(at('2026-12-15T15:00:00+01:00'), { acknowledgedAt: at('2026-11-30T10:45:00+01:00') });
    expect(s.response).toEqual({
      due: at('2026-11-30T10:00:00Z'),
      targetMs: 2 * HOUR,
      elapsedMs: 105 * 60_000,
      usedShare: 0.875,
      atRisk: false,
      breached: false,
      paused: false,
      metAt: at('2026-11-30T10:45:00+01:00'),
    });
    // Resolution (8 h, due 17:00 CET) is not met: breached by 15 December.
    expect(s.resolution.breached).toBe(true);
    expect(s.resolution.metAt).toBeUndefined();
  });

  it('is breached for good when acknowledged after the due time', () => {
    const s = p1.state(at('2026-11-30T16:00:00+01:00'), { acknowledgedAt: at('2026-11-30T11:30:00+01:00') });
    expect(s.response).toMatchObject({
      breached: true,
      atRisk: false,
      metAt: at('2026-11-30T11:30:00+01:00'),
    });
  });

  it('ignores a milestone later than now, and counts a resolution as a response', () => {
    const early = p1.state(at('2026-11-30T10:00:00+01:00'), {
      acknowledgedAt: at('2026-11-30T10:45:00+01:00'),
    });
    expect(early.response.metAt).toBeUndefined();
    const resolved = p1.state(at('2026-11-30T16:00:00+01:00'), {
      resolvedAt: at('2026-11-30T10:15:00+01:00'),
    });
    expect(resolved.response.metAt).toEqual(at('2026-11-30T10:15:00+01:00'));
    expect(resolved.resolution).toMatchObject({ breached: false, usedShare: 75 / 480 });
  });

  it('is not breached over a weekend before the due time', () => {
    const friday = clock('P1', '2026-11-27T17:00:00+01:00'); // due Monday 10:00 CET
    const s = friday.state(at('2026-11-29T12:00:00+01:00')).response;
    expect(s).toMatchObject({
      due: at('2026-11-30T09:00:00Z'),
      usedShare: 0.5,
      breached: false,
      atRisk: false,
    });
  });

  it('shows a waiting ticket as paused, due as if the client answered now', () => {
    const c = clock('P2', '2026-11-30T09:00:00+01:00', [{ from: at('2026-11-30T10:00:00+01:00') }]);
    const s = c.state(at('2026-11-30T12:00:00+01:00')).response;
    expect(s).toMatchObject({ paused: true, elapsedMs: HOUR, usedShare: 1 / 6, breached: false });
    expect(s.due.toISOString()).toBe('2026-11-30T16:00:00.000Z'); // 12:00 + 5 h = 17:00 CET
  });

  it('uses the contract`s at-risk share', () => {
    const strict = createSlaContract({
      calendar: { kind: '24x7' },
      response: { P1: '1h', P2: '2h', P3: '4h', P4: '8h' },
      resolution: { P1: '4h', P2: '8h', P3: '1d', P4: '3d' },
      atRiskShare: 0.5,
    });
    const c = new SlaClock(strict, { priority: 'P1', openedAt: at('2026-11-28T03:00:00Z') });
    expect(c.responseDue).toEqual(at('2026-11-28T04:00:00Z'));
    expect(c.state(at('2026-11-28T03:29:59.999Z')).response.atRisk).toBe(false);
    expect(c.state(at('2026-11-28T03:30:00Z')).response.atRisk).toBe(true);
  });
});
