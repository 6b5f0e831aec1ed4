// Parses Nagios performance data (`'label'=value[UOM];[warn];[crit];[min];[max] ...`) without ever throwing.
import { shortLine } from './printable.js';

/** One perfdata item, every number converted to its base unit (seconds, bytes). */
export interface PerfdataItem {
  /** The label as the plugin wrote it, quotes removed and `''` unescaped. */
  label: string;
  value: number;
  /** For a range threshold, its upper bound when there is one, else its lower bound. */
  warn?: number;
  crit?: number;
  min?: number;
  max?: number;
}

export interface ParsedPerfdata {
  items: PerfdataItem[];
  /** One short reason per item that was skipped as malformed. */
  problems: string[];
  /** Items whose value is `U` (the plugin could not determine it): skipped, not an error. */
  undetermined: number;
}

/** Multiplier and divisor to the base unit; divisors keep `0.041ms` an exact `0.000041`. */
type Scale = readonly [multiply: number, divide: number];

const KIB = 1024;
// check_disk counts its MB as 1024 * 1024 bytes; we read every byte prefix as binary, whatever its case.
// A Map, not an object: a unit spelt `constructor` must not find Object.prototype.
const UNIT_SCALES: ReadonlyMap<string, Scale> = new Map(
  Object.entries({
    '': [1, 1],
    '%': [1, 1],
    c: [1, 1],
    s: [1, 1],
    ms: [1, 1e3],
    us: [1, 1e6],
    µs: [1, 1e6],
    B: [1, 1],
    KB: [KIB, 1],
    kB: [KIB, 1],
    KiB: [KIB, 1],
    MB: [KIB ** 2, 1],
    MiB: [KIB ** 2, 1],
    GB: [KIB ** 3, 1],
    GiB: [KIB ** 3, 1],
    TB: [KIB ** 4, 1],
    TiB: [KIB ** 4, 1],
  } satisfies Record<string, Scale>),
);
const AS_PRINTED: Scale = [1, 1];
/** Units outside the guidelines (`rpm`, `dBm`, `°C`, `KB/s`): the value is kept as printed. */
const OTHER_UNIT = /^[A-Za-z%/°µ]{1,12}$/;
const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/;
const SEPARATOR = /[ \t\n\r\f\v]/g;
const MAX_PROBLEM_LABEL = 40;

export function parsePerfdata(text: string): ParsedPerfdata {
  const parsed: ParsedPerfdata = { items: [], problems: [], undetermined: 0 };
  let at = 0;
  while (at < text.length) {
    if (isSeparator(text.charAt(at))) {
      at += 1;
      continue;
    }
    const token = readToken(text, at);
    at = token.end;
    if ('problem' in token) parsed.problems.push(token.problem);
    else addItem(parsed, token.label, token.data);
  }
  return parsed;
}

type Token = { label: string; data: string; end: number } | { problem: string; end: number };

function readToken(text: string, start: number): Token {
  if (text.charAt(start) === "'") return readQuotedToken(text, start);
  const end = nextSeparator(text, start);
  const token = text.slice(start, end);
  const equals = token.indexOf('=');
  if (equals < 0) return { problem: `"${shorten(token)}" has no "="`, end };
  if (equals === 0) return { problem: 'an item has an empty label', end };
  return { label: token.slice(0, equals), data: token.slice(equals + 1), end };
}

/** `'it''s here'=1`: the label runs to the first lone quote; two quotes are one quote. */
function readQuotedToken(text: string, start: number): Token {
  let label = '';
  let at = start + 1;
  for (;;) {
    const quote = text.indexOf("'", at);
    if (quote < 0) return { problem: 'unterminated quoted label', end: text.length };
    label += text.slice(at, quote);
    if (text.charAt(quote + 1) !== "'") {
      at = quote + 1;
      break;
    }
    label += "'";
    at = quote + 2;
  }
  const end = nextSeparator(text, at);
  if (text.charAt(at) !== '=') return { problem: `'${shorten(label)}' is not followed by "="`, end };
  if (label === '') return { problem: 'an item has an empty label', end };
  return { label, data: text.slice(at + 1, end), end };
}

function addItem(parsed: ParsedPerfdata, label: string, data: string): void {
  const [valueField = '', warn, crit, min, max] = data.split(';');
  if (valueField === 'U') {
    parsed.undetermined += 1;
    return;
  }
  const measured = parseValue(valueField);
  if (measured === undefined) {
    parsed.problems.push(`value of '${shorten(label)}' is not a number`);
    return;
  }
  const item: PerfdataItem = { label, value: measured.value };
  const limits = [
    ['warn', rangeBound(warn)],
    ['crit', rangeBound(crit)],
    ['min', plainNumber(min)],
    ['max', plainNumber(max)],
  ] as const;
  for (const [key, limit] of limits) {
    const inBaseUnit = limit === undefined ? undefined : scaled(limit, measured.scale);
    if (inBaseUnit !== undefined) item[key] = inBaseUnit;
  }
  parsed.items.push(item);
}

/** `0.041ms` is 0.000041 (seconds) on the scale of ms, which warn, crit, min and max share. */
function parseValue(field: string): { value: number; scale: Scale } | undefined {
  const number = NUMBER.exec(field);
  if (number === null) return undefined;
  const unit = field.slice(number[0].length);
  const scale = UNIT_SCALES.get(unit) ?? (OTHER_UNIT.test(unit) ? AS_PRINTED : undefined);
  if (scale === undefined) return undefined;
  const value = scaled(Number(number[0]), scale);
  return value === undefined ? undefined : { value, scale };
}

/**
 * A threshold in the range syntax of the guidelines (`10`, `10:`, `~:10`, `10:20`, `@10:20`): its upper bound
 * when it has one, else its lower bound; undefined for an empty or malformed range.
 */
export function rangeBound(range: string | undefined): number | undefined {
  if (range === undefined) return undefined;
  const body = range.startsWith('@') ? range.slice(1) : range;
  const colon = body.indexOf(':');
  if (colon < 0) return plainNumber(body);
  const low = body.slice(0, colon);
  const high = body.slice(colon + 1);
  if (high !== '') return plainNumber(high);
  return low === '~' ? undefined : plainNumber(low);
}

function plainNumber(field: string | undefined): number | undefined {
  if (field === undefined) return undefined;
  const number = NUMBER.exec(field);
  if (number === null || number[0].length !== field.length) return undefined;
  const value = Number(field);
  return Number.isFinite(value) ? value : undefined;
}

function scaled(value: number, [multiply, divide]: Scale): number | undefined {
  const result = (value * multiply) / divide;
  return Number.isFinite(result) ? result : undefined;
}

function isSeparator(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r' || char === '\f' || char === '\v';
}

function nextSeparator(text: string, from: number): number {
  SEPARATOR.lastIndex = from;
  return SEPARATOR.exec(text)?.index ?? text.length;
}

/** Labels in problem reasons: printable and short, since they end up in the one-line message. */
function shorten(label: string): string {
  return shortLine(label, MAX_PROBLEM_LABEL);
}
