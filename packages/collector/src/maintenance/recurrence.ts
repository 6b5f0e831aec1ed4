// When a maintenance window runs: a one-off interval, or a recurring one (every day, or on chosen weekdays) at a
// local time in a time zone, for a duration, between the window's first day and its end. Pure: instants in ms.
import { type Static, Type } from '@sinclair/typebox';
import { DurationSchema, parseDuration } from '@vigie/shared';
import { DAY_MS, type Interval, isoWeekday, mergeIntervals, WallClock } from '../sla/wall-clock.js';

export const RecurrenceSchema = Type.Object(
  {
    every: Type.Union([Type.Literal('day'), Type.Literal('week')], {
      description: 'day: every day; week: on the ISO weekdays in `days`',
    }),
    days: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
        minItems: 1,
        uniqueItems: true,
        description: 'ISO weekdays (Monday 1 ... Sunday 7); required with every: week',
      }),
    ),
    at: Type.String({ pattern: '^(?:[01]\\d|2[0-3]):[0-5]\\d$', description: 'local start time HH:MM' }),
    duration: DurationSchema,
    timeZone: Type.String({ minLength: 1, description: 'IANA time zone of `at`, e.g. Europe/Paris' }),
  },
  { additionalProperties: false },
);
export type Recurrence = Static<typeof RecurrenceSchema>;

/** The checks the schema cannot express, each naming its key path under `path`. */
export function recurrenceProblems(r: Recurrence, path: string): string[] {
  const problems: string[] = [];
  if (r.every === 'week' && !r.days?.length) problems.push(`${path}/days: required with every: week`);
  if (r.every === 'day' && r.days !== undefined) problems.push(`${path}/days: only with every: week`);
  let ms = 0;
  try {
    ms = parseDuration(r.duration);
  } catch (err) {
    problems.push(`${path}/duration: ${(err as Error).message}`);
  }
  if (ms <= 0 || ms > 7 * DAY_MS) problems.push(`${path}/duration: between 1 second and 7 days`);
  try {
    new WallClock(r.timeZone);
  } catch (err) {
    problems.push(`${path}/timeZone: ${(err as Error).message}`);
  }
  return problems;
}

/** What a window's timing is made of, as stored. */
export interface WindowTiming {
  startsAt: number;
  /** Infinity: no end. */
  endsAt: number;
  recurrence: Recurrence | undefined;
  /** When it was ended early; Infinity when it was not. */
  cancelledAt: number;
}

/** The real intervals, sorted and merged, during which the window runs within [from, to). */
export function runsBetween(w: WindowTiming, from: number, to: number): Interval[] {
  const start = Math.max(w.startsAt, from);
  const end = Math.min(w.endsAt, w.cancelledAt, to);
  if (start >= end) return [];
  if (!w.recurrence) return [{ start, end }];
  const r = w.recurrence;
  const clock = new WallClock(r.timeZone);
  const length = parseDuration(r.duration);
  const [hh, mm] = r.at.split(':').map(Number) as [number, number];
  // Occurrences starting up to `length` before `start` may still run; one more day for the zone's offset.
  const firstDay = Math.floor((clock.wallAt(start - length) - DAY_MS) / DAY_MS);
  const lastDay = Math.floor((clock.wallAt(end) + DAY_MS) / DAY_MS);
  const walls: Interval[] = [];
  for (let day = firstDay; day <= lastDay; day++) {
    if (r.every === 'week' && !r.days?.includes(isoWeekday(day))) continue;
    const wallStart = day * DAY_MS + (hh * 60 + mm) * 60_000;
    walls.push({ start: wallStart, end: wallStart + length });
  }
  const out: Interval[] = [];
  for (const iv of clock.instantsReading(walls)) {
    const s = Math.max(iv.start, start);
    const e = Math.min(iv.end, end);
    if (s < e) out.push({ start: s, end: e });
  }
  return mergeIntervals(out);
}
