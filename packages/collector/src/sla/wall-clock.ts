// Wall-clock arithmetic in an IANA time zone without Temporal: what the local clock reads at an instant, and
// the real intervals during which it reads inside a range, across DST gaps and overlaps.

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** No zone in the tz database has ever been further than this from UTC (local mean times included). */
export const MAX_OFFSET_MS = 16 * HOUR_MS;
/**
 * Offsets are probed this often when looking for transitions. Two transitions closer together than this
 * would be seen as one; the tz database has none that close.
 */
const PROBE_STEP_MS = 6 * HOUR_MS;

/** A half-open interval [start, end) of milliseconds: real instants, or wall times ("local ms since epoch"). */
export interface Interval {
  start: number;
  end: number;
}

interface OffsetSegment extends Interval {
  offset: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError naming the zone when the runtime does not know it. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatFor(timeZone);
  } catch (err) {
    throw new RangeError(`unknown time zone "${timeZone}": ${(err as Error).message}`);
  }
}

/**
 * Local time in one zone. A "wall time" is what the local clock reads, counted in ms since 1970-01-01 00:00
 * local, so that `Math.floor(wall / DAY_MS)` is the local date's day number.
 */
export class WallClock {
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    assertTimeZone(timeZone);
    this.format = formatFor(timeZone);
  }

  /** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
  offsetAt(instantMs: number): number {
    const second = Math.floor(instantMs / 1000) * 1000;
    const f: Record<string, number> = {};
    for (const part of this.format.formatToParts(second)) {
      if (part.type !== 'literal') f[part.type] = Number(part.value);
    }
    const local = Date.UTC(
      f.year ?? 1970,
      (f.month ?? 1) - 1,
      f.day ?? 1,
      f.hour ?? 0,
      f.minute ?? 0,
      f.second ?? 0,
    );
    return local - second;
  }

  wallAt(instantMs: number): number {
    return instantMs + this.offsetAt(instantMs);
  }

  /**
   * The real intervals, sorted and merged, during which the local clock reads inside one of the given wall
   * ranges. A wall time skipped by a spring-forward gap never happens, so it covers nothing; one repeated by
   * a fall-back overlap happens twice, so it is covered both times.
   */
  instantsReading(wallRanges: readonly Interval[]): Interval[] {
    if (wallRanges.length === 0) return [];
    const first = Math.min(...wallRanges.map((r) => r.start));
    const last = Math.max(...wallRanges.map((r) => r.end));
    const pieces: Interval[] = [];
    for (const seg of this.segments(first - MAX_OFFSET_MS, last + MAX_OFFSET_MS)) {
      for (const r of wallRanges) {
        const start = Math.max(seg.start, r.start - seg.offset);
        const end = Math.min(seg.end, r.end - seg.offset);
        if (start < end) pieces.push({ start, end });
      }
    }
    return mergeIntervals(pieces);
  }

  /** Splits [from, to) into spans of constant offset. */
  private segments(from: number, to: number): OffsetSegment[] {
    const out: OffsetSegment[] = [];
    let segStart = from;
    let offset = this.offsetAt(from);
    let probe = from;
    while (probe < to) {
      const next = Math.min(probe + PROBE_STEP_MS, to);
      if (this.offsetAt(next) === offset) {
        probe = next;
        continue;
      }
      const change = this.firstChange(probe, next, offset);
      out.push({ start: segStart, end: change, offset });
      segStart = change;
      offset = this.offsetAt(change);
      probe = change;
    }
    out.push({ start: segStart, end: to, offset });
    return out;
  }

  /** The first instant in (lo, hi] whose offset differs from `offset`, knowing hi's does. */
  private firstChange(lo: number, hi: number, offset: number): number {
    let a = lo;
    let b = hi;
    while (b - a > 1) {
      const mid = a + Math.floor((b - a) / 2);
      if (this.offsetAt(mid) === offset) a = mid;
      else b = mid;
    }
    return b;
  }
}

/** Sorts intervals and joins those that overlap or touch. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((x, y) => x.start - y.start);
  const out: Interval[] = [];
  for (const iv of sorted) {
    const prev = out[out.length - 1];
    if (prev && iv.start <= prev.end) prev.end = Math.max(prev.end, iv.end);
    else out.push({ ...iv });
  }
  return out;
}

/** The intervals of `from` left after removing every interval of `cut`. */
export function subtractIntervals(from: readonly Interval[], cut: readonly Interval[]): Interval[] {
  let rest = from.map((iv) => ({ ...iv }));
  for (const c of cut) {
    rest = rest.flatMap((iv) => {
      if (c.end <= iv.start || c.start >= iv.end) return [iv];
      const left = c.start > iv.start ? [{ start: iv.start, end: c.start }] : [];
      const right = c.end < iv.end ? [{ start: c.end, end: iv.end }] : [];
      return [...left, ...right];
    });
  }
  return rest;
}

/** ISO weekday (Monday 1 ... Sunday 7) of a local day number; day 0, 1970-01-01, was a Thursday. */
export function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** `YYYY-MM-DD` of a local day number. */
export function dateKey(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Local day number of a `YYYY-MM-DD` date, or undefined when it is not a real date. */
export function dayOfDateKey(key: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(ms) || dateKey(ms / DAY_MS) !== key) return undefined;
  return ms / DAY_MS;
}
