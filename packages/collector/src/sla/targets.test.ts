import { describe, expect, it } from 'vitest';
import { createSlaContract } from './targets.js';

const HOUR = 3_600_000;
const contract = {
  calendar: {
    kind: 'business',
    timeZone: 'Europe/Paris',
    days: [1, 2, 3, 4, 5],
    hours: [{ from: '09:00', to: '18:00' }],
    holidays: { country: 'FR' },
  },
  response: { P1: '2h', P2: '6h', P3: '24h', P4: '3d' },
  resolution: { P1: '8h', P2: '24h', P3: '5d', P4: '10d' },
};

describe('createSlaContract', () => {
  it('reads targets as covered time and defaults the at-risk share to 75%', () => {
    const c = createSlaContract(contract);
    expect(c.response).toEqual({ P1: 2 * HOUR, P2: 6 * HOUR, P3: 24 * HOUR, P4: 72 * HOUR });
    expect(c.resolution.P3).toBe(120 * HOUR);
    expect(c.atRiskShare).toBe(0.75);
    expect(c.calendar.isCovered(new Date('2026-07-14T10:00:00+02:00'))).toBe(false);
    expect(createSlaContract({ ...contract, atRiskShare: 0.5 }).atRiskShare).toBe(0.5);
  });

  it('names the bad key of a target, the calendar or the at-risk share', () => {
    const bad = (patch: object) => () => createSlaContract({ ...contract, ...patch });
    expect(bad({ response: { ...contract.response, P2: 'six hours' } })).toThrow('/response/P2');
    expect(bad({ resolution: { P1: '8h', P2: '24h', P3: '5d' } })).toThrow('/resolution/P4');
    expect(bad({ response: { ...contract.response, P1: '0s' } })).toThrow(
      '/response/P1: a target must be longer',
    );
    expect(bad({ resolution: { ...contract.resolution, P1: '1h' } })).toThrow(
      '/resolution/P1: 1h is shorter than the response target 2h',
    );
    expect(bad({ atRiskShare: 1.5 })).toThrow('/atRiskShare');
    expect(bad({ calendar: { ...contract.calendar, hours: [{ from: '18:00', to: '09:00' }] } })).toThrow(
      '/calendar/hours/0/to: 09:00 is not after from 18:00',
    );
    expect(bad({ calendar: undefined })).toThrow('/calendar: Expected required property');
    expect(() => createSlaContract('2h')).toThrow('invalid SLA contract: /: Expected object');
  });
});
