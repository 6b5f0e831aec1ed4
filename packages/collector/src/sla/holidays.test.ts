import { describe, expect, it } from 'vitest';
import { HolidayClosures, holidaySourceProblems } from './holidays.js';
import { DAY_MS, dateKey, dayOfDateKey } from './wall-clock.js';

const HOUR = 3_600_000;

/** Every local date of `year` that the holidays close, with the closed range when it is not the whole day. */
function closedDates(closures: HolidayClosures, year: number): string[] {
  const out: string[] = [];
  const first = dayOfDateKey(`${year}-01-01`) as number;
  const last = dayOfDateKey(`${year}-12-31`) as number;
  for (let day = first; day <= last; day++) {
    for (const c of closures.closedOn(day)) {
      const whole = c.start === 0 && c.end === DAY_MS;
      out.push(whole ? dateKey(day) : `${dateKey(day)} ${c.start / HOUR}h-${c.end / HOUR}h`);
    }
  }
  return out;
}

describe('HolidayClosures', () => {
  it("closes France's eleven public holidays, whole days, and not its observances", () => {
    const fr = new HolidayClosures({ country: 'FR' });
    expect(closedDates(fr, 2026)).toEqual([
      '2026-01-01', // Nouvel An
      '2026-04-06', // Lundi de Pâques
      '2026-05-01', // Fête du travail
      '2026-05-08', // Fête de la Victoire 1945
      '2026-05-14', // Ascension
      '2026-05-25', // Lundi de Pentecôte (Pentecost Sunday is only an observance)
      '2026-07-14', // Fête nationale
      '2026-08-15', // Assomption
      '2026-11-01', // Toussaint
      '2026-11-11', // Armistice 1918
      '2026-12-25', // Noël
    ]);
    // Easter 2027 is 28 March: Easter Monday is 29 March, Ascension 6 May, Whit Monday 17 May.
    expect(closedDates(fr, 2027)).toEqual([
      '2027-01-01',
      '2027-03-29',
      '2027-05-01',
      '2027-05-06',
      '2027-05-08',
      '2027-05-17',
      '2027-07-14',
      '2027-08-15',
      '2027-11-01',
      '2027-11-11',
      '2027-12-25',
    ]);
  });

  it('adds a region’s own holidays: Good Friday and St Stephen’s Day in Alsace-Moselle', () => {
    const alsace = closedDates(new HolidayClosures({ country: 'FR', region: '67' }), 2026);
    expect(alsace).toContain('2026-04-03');
    expect(alsace).toContain('2026-12-26');
    expect(alsace).toHaveLength(13);
  });

  it('closes a part-day holiday from its start time: German Christmas Eve, a bank holiday, from 14:00', () => {
    const de = closedDates(new HolidayClosures({ country: 'DE', types: ['public', 'bank'] }), 2026);
    expect(de).toContain('2026-12-24 14h-24h');
    expect(de).toContain('2026-12-31 14h-24h');
  });

  it('names the bad key of an unknown country or region', () => {
    expect(holidaySourceProblems({ country: 'FR' }, '/holidays')).toEqual([]);
    expect(holidaySourceProblems({ country: 'XX' }, '/holidays')).toEqual([
      '/holidays/country: date-holidays knows no country "XX" (expected e.g. FR, DE, BE)',
    ]);
    expect(holidaySourceProblems({ country: 'FR', region: 'ZZ' }, '/holidays')).toEqual([
      '/holidays/region: date-holidays knows no region "ZZ" in FR (known: 57, 67, 68, YT, MQ, GP, GF, RE, MF, BL)',
    ]);
  });
});
