// JSON-schema string formats used by the protocol; TypeBox checks none by default.
import { FormatRegistry } from '@sinclair/typebox';

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two digits at `i` (the pattern has checked they are digits). */
const twoDigits = (v: string, i: number) => (v.charCodeAt(i) - 48) * 10 + v.charCodeAt(i + 1) - 48;

/** The date and clock fields name a real instant: JavaScript would quietly roll 2026-02-30 over to March 2nd. */
function onTheCalendar(v: string): boolean {
  const year = twoDigits(v, 0) * 100 + twoDigits(v, 2);
  const month = twoDigits(v, 5);
  const day = twoDigits(v, 8);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  return day <= days && twoDigits(v, 11) <= 23 && twoDigits(v, 14) <= 59 && twoDigits(v, 17) <= 59;
}

/** An RFC 3339 date-time with a real date and clock (no leap second: JavaScript has none). */
export function isDateTime(v: string): boolean {
  return DATE_TIME.test(v) && onTheCalendar(v) && !Number.isNaN(Date.parse(v));
}

export function registerFormats(): void {
  if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isDateTime);
}
registerFormats();
