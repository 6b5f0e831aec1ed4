// French and English: the page's texts by key, chosen per user (their API key's language, else the browser's),
// and dates, spans and numbers written the way that language writes them, in a time zone that is always named.
import { EN, type MessageKey } from './en';
import { FR } from './fr';

export type Locale = 'en' | 'fr';
const CATALOGS: Record<Locale, Record<MessageKey, string>> = { en: EN, fr: FR };

let current: Locale =
  typeof navigator !== 'undefined' && navigator.language.toLowerCase().startsWith('fr') ? 'fr' : 'en';

export function locale(): Locale {
  return current;
}

export function setLocale(l: Locale): void {
  current = l;
  document.documentElement.lang = l;
  // Texts written in the HTML itself.
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]'))
    el.textContent = t(el.dataset.i18n as MessageKey);
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n-label]'))
    el.setAttribute('aria-label', t(el.dataset.i18nLabel as MessageKey));
  document.title = t('pageTitle');
}

/** The text of a value from the API (a status, an environment) under `prefix_value`, else the value itself. */
export function tv(prefix: string, value: string): string {
  const key = `${prefix}_${value}`;
  return (CATALOGS[current] as Record<string, string>)[key] ?? value;
}

/** The text of a key in the current language, `{name}` replaced by vars. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const text = CATALOGS[current][key] ?? EN[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in vars ? String(vars[name]) : `{${name}}`));
}

const tag = () => (current === 'fr' ? 'fr-FR' : 'en-GB');
const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string, options: Intl.DateTimeFormatOptions, key: string): Intl.DateTimeFormat {
  const k = `${tag()}|${zone}|${key}`;
  let f = formats.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat(tag(), { ...options, timeZone: zone });
    formats.set(k, f);
  }
  return f;
}

/** A date and time with its zone's short name, e.g. "27 Nov 2026, 17:00 UTC+1" / "27 nov. 2026, 17:00 UTC+1". */
export function dateTime(iso: string | null | undefined, zone: string): string {
  if (!iso) return '—';
  const f = format(zone, { dateStyle: 'medium', timeStyle: 'short' }, 'dt');
  return `${f.format(new Date(iso))} ${zoneName(iso, zone)}`;
}

/** Weekday and time with the zone, for due times: "Mon 10:00 UTC+1" / "lun. 10:00 UTC+1". */
export function dueTime(iso: string, zone: string): string {
  const f = format(
    zone,
    { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' },
    'due',
  );
  return `${f.format(new Date(iso))} ${zoneName(iso, zone)}`;
}

export function shortTime(ms: number, zone: string, withDate: boolean): string {
  const f = withDate
    ? format(zone, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }, 'chart-d')
    : format(zone, { hour: '2-digit', minute: '2-digit' }, 'chart-t');
  return f.format(new Date(ms));
}

/** The zone's short name at an instant: "CET", "UTC+1", "UTC". */
export function zoneName(iso: string | number, zone: string): string {
  const parts = format(zone, { timeZoneName: 'short' }, 'zone').formatToParts(new Date(iso));
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? zone;
}

export function number(v: number, digits = 2): string {
  return new Intl.NumberFormat(tag(), { maximumFractionDigits: digits }).format(v);
}

/** A span such as "2 h 05 min" (always positive; the caller says ahead or past). */
export function span(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  const hh = Math.floor((s % 86_400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return t('spanDays', { d, h: two(hh), m: two(mm) });
  if (hh > 0) return t('spanHours', { h: hh, m: two(mm), s: two(ss) });
  return t('spanMinutes', { m: mm, s: two(ss) });
}

export function ago(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return t('agoSeconds', { n: s });
  if (s < 5400) return t('agoMinutes', { n: Math.round(s / 60) });
  if (s < 172_800) return t('agoHours', { n: Math.round(s / 3600) });
  return t('agoDays', { n: Math.round(s / 86_400) });
}
