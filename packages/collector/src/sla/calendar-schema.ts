// The coverage calendar's configuration: one TypeBox schema for the type and the shape, then the checks a
// schema cannot express (real time zone, windows in order, known holiday country), each naming its key path.
import { type Static, Type } from '@sinclair/typebox';
import { kindProblems } from './config-error.js';
import { HOLIDAY_TYPES, holidaySourceProblems } from './holidays.js';
import { assertTimeZone, dayOfDateKey } from './wall-clock.js';

const LocalTime = Type.String({
  pattern: '^(?:[01]\\d|2[0-3]):[0-5]\\d$|^24:00$',
  description: 'a local time HH:MM, from 00:00 to 24:00',
});
const LocalDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a date YYYY-MM-DD' });
const CoverageWindowSchema = Type.Object(
  { from: LocalTime, to: LocalTime },
  {
    additionalProperties: false,
    description: 'covered from `from` (included) to `to` (excluded), local time',
  },
);
const Windows = Type.Array(CoverageWindowSchema);

export const AlwaysCoveredSchema = Type.Object(
  { kind: Type.Literal('24x7') },
  { additionalProperties: false },
);

export const BusinessCalendarSchema = Type.Object(
  {
    kind: Type.Literal('business'),
    timeZone: Type.String({ minLength: 1, description: 'IANA time zone, e.g. Europe/Paris' }),
    days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
      uniqueItems: true,
      description: 'open ISO weekdays, Monday 1 ... Sunday 7',
    }),
    hours: Windows,
    hoursByDay: Type.Optional(
      Type.Object(
        {
          '1': Type.Optional(Windows),
          '2': Type.Optional(Windows),
          '3': Type.Optional(Windows),
          '4': Type.Optional(Windows),
          '5': Type.Optional(Windows),
          '6': Type.Optional(Windows),
          '7': Type.Optional(Windows),
        },
        {
          additionalProperties: false,
          description: 'windows replacing `hours` on one ISO weekday ([] = none)',
        },
      ),
    ),
    holidays: Type.Optional(
      Type.Object(
        {
          country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2, e.g. FR' }),
          region: Type.Optional(
            Type.String({ minLength: 1, description: 'e.g. 67 (Bas-Rhin), BY (Bavaria)' }),
          ),
          types: Type.Optional(
            Type.Array(Type.Union(HOLIDAY_TYPES.map((t) => Type.Literal(t))), {
              minItems: 1,
              uniqueItems: true,
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    extraClosedDates: Type.Optional(Type.Array(LocalDate, { description: 'local dates closed all day' })),
    extraOpenDates: Type.Optional(
      Type.Array(LocalDate, {
        description: 'local dates open with that weekday`s windows, even on a holiday',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CoverageCalendarSchema = Type.Union([AlwaysCoveredSchema, BusinessCalendarSchema]);
export type CoverageCalendarConfig = Static<typeof CoverageCalendarSchema>;
export type BusinessCalendarConfig = Static<typeof BusinessCalendarSchema>;
export type CoverageWindow = Static<typeof CoverageWindowSchema>;

/** Problems with a calendar config, each as `path: message` with paths under `at`. */
export function coverageCalendarProblems(config: unknown, at: string): string[] {
  const shape = kindProblems(CoverageCalendarSchema, config, at);
  if (shape.length > 0) return shape;
  const c = config as CoverageCalendarConfig;
  return c.kind === 'business' ? businessProblems(c, at) : [];
}

function businessProblems(c: BusinessCalendarConfig, at: string): string[] {
  const problems: string[] = [];
  try {
    assertTimeZone(c.timeZone);
  } catch (err) {
    problems.push(`${at}/timeZone: ${(err as Error).message}`);
  }
  problems.push(...windowProblems(c.hours, `${at}/hours`));
  for (const [day, windows] of Object.entries(c.hoursByDay ?? {})) {
    problems.push(...windowProblems(windows, `${at}/hoursByDay/${day}`));
    if (!c.days.includes(Number(day))) {
      problems.push(`${at}/hoursByDay/${day}: weekday ${day} is not in days`);
    }
  }
  if (!c.days.some((d) => windowsOf(c, d).some((w) => toMs(w.to) > toMs(w.from)))) {
    problems.push(`${at}/days: no open weekday has a window, so the calendar would never cover any time`);
  }
  const closed = new Set(c.extraClosedDates ?? []);
  for (const [name, dates] of [
    ['extraClosedDates', c.extraClosedDates],
    ['extraOpenDates', c.extraOpenDates],
  ] as const) {
    (dates ?? []).forEach((d, i) => {
      if (dayOfDateKey(d) === undefined) problems.push(`${at}/${name}/${i}: ${d} is not a date`);
      if (name === 'extraOpenDates' && closed.has(d)) {
        problems.push(`${at}/${name}/${i}: ${d} is also closed`);
      }
    });
  }
  if (c.holidays) problems.push(...holidaySourceProblems(c.holidays, `${at}/holidays`));
  return problems;
}

function windowProblems(windows: readonly CoverageWindow[], at: string): string[] {
  const problems: string[] = [];
  windows.forEach((w, i) => {
    if (toMs(w.to) <= toMs(w.from)) problems.push(`${at}/${i}/to: ${w.to} is not after from ${w.from}`);
  });
  windows.forEach((w, i) => {
    windows.forEach((other, j) => {
      if (j < i && toMs(w.from) < toMs(other.to) && toMs(other.from) < toMs(w.to)) {
        problems.push(`${at}/${i}: ${w.from}-${w.to} overlaps ${at}/${j} (${other.from}-${other.to})`);
      }
    });
  });
  return problems;
}

/** Ms since local midnight of an `HH:MM` time. */
export function toMs(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
}

/** A weekday's windows: its own from `hoursByDay`, else `hours`. */
export function windowsOf(c: BusinessCalendarConfig, weekday: number): readonly CoverageWindow[] {
  const byDay = c.hoursByDay as Partial<Record<string, CoverageWindow[]>> | undefined;
  return byDay?.[String(weekday)] ?? c.hours;
}
