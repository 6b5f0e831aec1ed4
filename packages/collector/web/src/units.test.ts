import { describe, expect, it } from 'vitest';
import { axisRange, unitOf, withUnit } from './units';

describe('metric units', () => {
  it('reads the unit from the metric name as the checks write it', () => {
    expect(
      [
        'total_bytes',
        'used_percent',
        'duration_ms',
        'age_hours',
        'read_bytes_per_second',
        'rx_rate',
        'load1',
        'uptime_seconds',
      ].map(unitOf),
    ).toEqual([
      'bytes',
      'percent',
      'milliseconds',
      'hours',
      'bytesPerSecond',
      'perSecond',
      'count',
      'seconds',
    ]);
  });

  it('writes values in their unit, never in exponent notation', () => {
    expect(withUnit(2.58e10, 'bytes')).toBe('26 GB');
    expect(withUnit(1.5e9, 'bytes')).toBe('1.5 GB');
    expect(withUnit(87.25, 'percent')).toBe('87 %');
    expect(withUnit(1234, 'milliseconds')).toBe('1.2 s');
    expect(withUnit(250_000, 'bytesPerSecond')).toBe('250 kB/s');
    expect(withUnit(42_000, 'count')).toBe('42 k');
  });

  it('starts amounts at zero and percentages on 0-100, with room for threshold lines', () => {
    expect(axisRange('percent', 40, 46, [85, 95])).toEqual([0, 100]);
    expect(axisRange('bytes', 6e9, 6.5e9, [])).toEqual([0, 6.5e9 * 1.1]);
    expect(axisRange('count', 1, 2, [5])).toEqual([0, 5.5]);
  });
});
