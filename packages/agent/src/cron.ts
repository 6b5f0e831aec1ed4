// Cron expressions for check schedules: parsing (with a reason when refused) and matching against the local
// time read with Date's getters. In-house rather than node-cron, whose matcher formats every tick with
// Intl.DateTimeFormat: that loads ICU's time zone and locale data, about 8 MB of the agent's resident memory.
// Accepted: 5 fields, or 6 with seconds first; `*`, `?` (days), numbers, ranges `a-b`, steps `*/n`, `a-b/n`,
// `a/n`, lists `a,b`; month and weekday names (jan, mon...); 7 is Sunday as 0; @yearly, @annually, @monthly,
// @weekly, @daily, @midnight, @hourly. A time matches when every field matches (day of month AND weekday).

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** The first name's number (months start at 1). */
  namesFrom?: number;
}
const FIELDS: Field[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'weekday', min: 0, max: 7, names: DAYS, namesFrom: 0 },
];

/** A parsed schedule: for each field, the set of values that match. */
export interface CronSchedule {
  readonly fields: readonly ReadonlySet<number>[];
}

/** Parses an expression, or returns why it is refused. */
export function parseCron(expression: string): CronSchedule | string {
  const text = NICKNAMES[expression.trim().toLowerCase()] ?? expression.trim();
  const parts = text.split(/\s+/);
  if (parts.length === 5) parts.unshift('0');
  if (parts.length !== 6) return `has ${parts.length} fields (5, or 6 with seconds first)`;
  const fields: Set<number>[] = [];
  for (const [i, part] of parts.entries()) {
    const field = FIELDS[i] as Field;
    const values = parseField(part, field, i === 3 || i === 5);
    if (typeof values === 'string') return `${field.name} "${part}": ${values}`;
    if (i === 5 && values.delete(7)) values.add(0);
    fields.push(values);
  }
  return { fields };
}

function parseField(text: string, field: Field, question: boolean): Set<number> | string {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined) return 'more than one /';
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || stepText === '')
      return `step "${stepText}" is not a positive integer`;
    let from: number;
    let to: number;
    if (range === '*' || (question && range === '?')) {
      from = field.min;
      to = field.name === 'weekday' ? 6 : field.max;
    } else {
      const [a = '', b, more] = range.split('-');
      if (more !== undefined) return `range "${range}" has more than one -`;
      const start = value(a, field);
      if (typeof start === 'string') return start;
      from = start;
      // `a/n` means from a to the end of the field, every n.
      const end = b === undefined ? (stepText === undefined ? start : field.max) : value(b, field);
      if (typeof end === 'string') return end;
      to = end;
      if (to < from) return `range "${range}" runs backwards`;
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

function value(text: string, field: Field): number | string {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (field.namesFrom ?? 0);
  if (!/^\d+$/.test(text)) {
    if (/[LW#]/i.test(text)) return `"${text}": L, W and # are not supported`;
    return `"${text}" is not a number${field.names ? ' or a name' : ''}`;
  }
  const n = Number(text);
  if (n < field.min || n > field.max) return `${n} is outside ${field.min}-${field.max}`;
  return n;
}

/** True when the schedule fires at this second of local time. */
export function cronMatches(schedule: CronSchedule, at: Date): boolean {
  const [second, minute, hour, day, month, weekday] = schedule.fields as ReadonlySet<number>[];
  return (
    (second?.has(at.getSeconds()) ?? false) &&
    (minute?.has(at.getMinutes()) ?? false) &&
    (hour?.has(at.getHours()) ?? false) &&
    (day?.has(at.getDate()) ?? false) &&
    (month?.has(at.getMonth() + 1) ?? false) &&
    (weekday?.has(at.getDay()) ?? false)
  );
}
