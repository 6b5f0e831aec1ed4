// A metric's unit, read from its name the way Vigie's checks name them (used_percent, total_bytes,
// duration_ms, age_hours, read_bytes_per_second, ...), and values written in it: 25.8 GB, not 2.58e+10.
import { number } from './i18n';

export type Unit =
  | 'bytes'
  | 'bytesPerSecond'
  | 'percent'
  | 'seconds'
  | 'milliseconds'
  | 'hours'
  | 'days'
  | 'perSecond'
  | 'count';

const SUFFIXES: Array<[RegExp, Unit]> = [
  [/bytes_per_s(ec(ond)?)?$|_bps$/, 'bytesPerSecond'],
  [/_per_s(ec(ond)?)?$|_rate$/, 'perSecond'],
  [/(^|_)bytes(_total)?$/, 'bytes'],
  [/(^|_)percent$|_pct$|_ratio_percent$/, 'percent'],
  [/(^|_)ms(_total)?$|_millis(econds)?$/, 'milliseconds'],
  [/(^|_)(seconds|secs|s)$/, 'seconds'],
  [/(^|_)hours$/, 'hours'],
  [/(^|_)days$/, 'days'],
];

export function unitOf(field: string): Unit {
  for (const [re, unit] of SUFFIXES) if (re.test(field)) return unit;
  return 'count';
}

const BYTE_STEPS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** A value in its unit, short enough for an axis tick. */
export function withUnit(v: number, unit: Unit): string {
  if (!Number.isFinite(v)) return String(v);
  switch (unit) {
    case 'bytes':
    case 'bytesPerSecond': {
      let x = Math.abs(v);
      let i = 0;
      while (x >= 1000 && i < BYTE_STEPS.length - 1) {
        x /= 1000;
        i++;
      }
      const text = `${number(Math.sign(v) * x, x < 10 && i > 0 ? 1 : 0)} ${BYTE_STEPS[i]}`;
      return unit === 'bytes' ? text : `${text}/s`;
    }
    case 'percent':
      return `${number(v, Math.abs(v) < 10 ? 1 : 0)} %`;
    case 'milliseconds':
      return Math.abs(v) >= 1000 ? `${number(v / 1000, 1)} s` : `${number(v, 0)} ms`;
    case 'seconds':
      return Math.abs(v) >= 3600
        ? `${number(v / 3600, 1)} h`
        : Math.abs(v) >= 60
          ? `${number(v / 60, 1)} min`
          : `${number(v, 1)} s`;
    case 'hours':
      return `${number(v, 1)} h`;
    case 'days':
      return `${number(v, 1)} d`;
    case 'perSecond':
      return `${number(v, 2)}/s`;
    case 'count':
      return Math.abs(v) >= 1e6
        ? `${number(v / 1e6, 1)} M`
        : Math.abs(v) >= 1e4
          ? `${number(v / 1e3, 1)} k`
          : number(v, 2);
  }
}

/**
 * The axis range for a chart: from zero for amounts that start at zero (percentages, bytes, counts), so a 6 %
 * wiggle looks like 6 %, not like a cliff; 0-100 for percentages; room for threshold lines.
 */
export function axisRange(unit: Unit, min: number, max: number, lines: number[]): [number, number] {
  const lo = Math.min(min, ...lines);
  const hi = Math.max(max, ...lines);
  if (unit === 'percent') return [Math.min(0, lo), Math.max(100, hi)];
  const from = lo >= 0 ? 0 : lo * 1.1;
  const to = hi <= 0 ? 1 : hi * 1.1;
  return [from, to === from ? from + 1 : to];
}
