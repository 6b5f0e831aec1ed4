import { describe, expect, it } from 'vitest';
import { isDateTime } from './formats.js';

describe('date-time format', () => {
  it('takes RFC 3339 times with any offset and fraction', () => {
    for (const v of [
      '2026-12-03T10:00:00Z',
      '2026-12-03T10:00:00.123Z',
      '2026-12-03T23:59:59.999999999+01:00',
      '2028-02-29T00:00:00Z',
      '2000-02-29T12:00:00-05:30',
    ])
      expect(isDateTime(v), v).toBe(true);
  });

  it('refuses dates and clocks that do not exist, which JavaScript would roll over', () => {
    for (const v of [
      '2026-02-29T10:00:00Z',
      '2026-02-30T10:00:00.000Z',
      '1900-02-29T10:00:00Z',
      '2026-04-31T10:00:00Z',
      '2026-12-03T24:00:00.000Z',
      '2026-12-03T10:60:00Z',
      '2026-12-03T10:00:60Z',
      '2026-00-03T10:00:00Z',
      '2026-12-00T10:00:00Z',
      '2026-12-03 10:00:00Z',
      '2026-12-03T10:00:00',
    ])
      expect(isDateTime(v), v).toBe(false);
    // The one that looked valid before: V8 parses it, as March 2nd.
    expect(new Date(Date.parse('2026-02-30T10:00:00.000Z')).toISOString()).toBe('2026-03-02T10:00:00.000Z');
  });
});
