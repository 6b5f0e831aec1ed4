import { describe, expect, it } from 'vitest';
import type { WorkLogTable } from './migration.js';
import { countedKindOf, coversDate, definitionProblems, inScope } from './model.js';
import { timeTotals } from './worklogs.js';

const LEVELS = { N1: 1, N2: 2, N3: 3 };
const BOOK = {
  type: 'ticket-book',
  name: 'Carnet',
  startsOn: '2026-01-01',
  endsOn: '2026-12-31',
  timeZone: 'Europe/Paris',
  language: 'fr',
  scope: { applications: ['shop'], hosts: ['legacy-01'] },
  counts: ['corrective', 'request'],
  ticketBook: {
    initialUnits: 50,
    deductAt: 'resolved',
    prices: { P1: LEVELS, P2: LEVELS, P3: LEVELS, P4: LEVELS },
    lowBalance: 5,
  },
};

describe('contract definitions', () => {
  it('accepts a whole ticket book and names each problem of a bad one by its path', () => {
    expect(definitionProblems(BOOK)).toEqual([]);
    expect(definitionProblems({ ...BOOK, ticketBook: undefined })).toEqual([
      '/ticketBook: required for a ticket-book contract',
    ]);
    expect(definitionProblems({ ...BOOK, type: 'forfait' })).toEqual([
      '/ticketBook: only for a ticket-book contract',
    ]);
    expect(definitionProblems({ ...BOOK, endsOn: '2025-12-31' })).toEqual(['/endsOn: before startsOn']);
    expect(definitionProblems({ ...BOOK, startsOn: '2026-02-31' })).toEqual([
      '/startsOn: 2026-02-31 is not a date',
    ]);
    expect(definitionProblems({ ...BOOK, timeZone: 'Europe/Atlantis' })[0]).toMatch(
      /^\/timeZone: unknown time zone "Europe\/Atlantis"/,
    );
    expect(definitionProblems({ ...BOOK, counts: ['everything'] })[0]).toMatch(/^\/counts\/0/);
    expect(definitionProblems({ ...BOOK, extra: 1 })[0]).toMatch(/extra/);
  });

  it('tells scope, counted kind and dates of a ticket', () => {
    const d = BOOK as Parameters<typeof inScope>[0];
    expect(inScope(d, { host: 'web-01', application: 'shop' })).toBe(true);
    expect(inScope(d, { host: 'legacy-01', application: 'intranet' })).toBe(true);
    expect(inScope(d, { host: 'web-09', application: 'blog' })).toBe(false);
    expect(countedKindOf({ kind: 'check', check_id: 'parity:staging' })).toBe('drift');
    expect(countedKindOf({ kind: 'request', check_id: 'request' })).toBe('request');
    expect(countedKindOf({ kind: 'agent_unreachable', check_id: 'agent' })).toBe('corrective');
    // 23:30 UTC on 31 December 2026 is already 2027 in Paris: after the contract.
    expect(coversDate(d, new Date('2026-12-31T22:30:00Z'))).toBe(true);
    expect(coversDate(d, new Date('2026-12-31T23:30:00Z'))).toBe(false);
  });

  it('totals work logs per person and application against the contracted days', () => {
    const log = (person: string, application: string, minutes: number) =>
      ({ person, application, minutes }) as WorkLogTable;
    const totals = timeTotals(
      [log('bob', 'erp', 90), log('alice', 'erp', 240), log('alice', 'crm', 150)],
      7.5,
      4,
    );
    expect(totals).toEqual({
      minutes: 480,
      hours: 8,
      days: 1.07,
      byPerson: [
        { person: 'alice', minutes: 390, hours: 6.5, days: 0.87 },
        { person: 'bob', minutes: 90, hours: 1.5, days: 0.2 },
      ],
      byApplication: [
        { application: 'crm', minutes: 150, hours: 2.5, days: 0.33 },
        { application: 'erp', minutes: 330, hours: 5.5, days: 0.73 },
      ],
      contractedDays: 4,
      usedPercent: 26.75,
    });
    expect(timeTotals([], 8, 0).usedPercent).toBeNull();
  });
});
