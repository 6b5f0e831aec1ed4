// Small pieces every view uses: tenant names and zones, status badges, "x ago" texts that tick, facts lists.
import { type Child, h } from './dom';
import { ago, dateTime, locale, span, t, tv } from './i18n';
import { state } from './state';
import type { Agent } from './types';

export const RANK: Record<string, number> = { none: -1, ok: 0, unknown: 1, warning: 2, critical: 3 };
export const SILENT_AFTER_MS = 2 * 60_000;
/** Clock skew the collector leaves alone (its default `ingest.clockTolerance`): beyond, results are shifted. */
export const SKEW_TOLERANCE_MS = 2000;

export function isSkewed(a: Agent): boolean {
  return a.clockSkewMs !== null && Math.abs(a.clockSkewMs) > SKEW_TOLERANCE_MS;
}

/** "3 min 00 s ahead (...)", "in time", or "not measured". */
export function skewText(ms: number | null): string {
  if (ms === null) return t('clockUnknown');
  if (Math.abs(ms) <= SKEW_TOLERANCE_MS) return t('clockInTime');
  return t(ms > 0 ? 'clockAhead' : 'clockBehind', { d: span(ms) });
}

export function tenantLabel(id: string): string {
  return state.tenants.find((x) => x.id === id)?.name ?? id;
}

/** The zone a tenant's times are shown in. */
export function zoneOf(tenant: string): string {
  return state.tenants.find((x) => x.id === tenant)?.timeZone ?? 'UTC';
}

export function statusText(status: string): string {
  return tv('status', status);
}

export function badge(status: string): HTMLElement {
  const s = status in RANK ? status : 'unknown';
  return h('span', { class: `badge st-${s}` }, status === 'none' ? t('noChecks') : tv('sev', s));
}

export function worstOf(statuses: string[]): string {
  let worst = 'none';
  for (const s of statuses) if ((RANK[s] ?? 1) > (RANK[worst] ?? -1)) worst = s in RANK ? s : 'unknown';
  return worst;
}

export function isSilent(a: Agent): boolean {
  return !a.connected || Date.now() - Date.parse(a.lastSeen) > SILENT_AFTER_MS;
}

/** A "x min ago" text that the 1 s tick keeps current, with the full time in the tenant's zone as its title. */
export function agoEl(iso: string, zone: string, cls?: string): HTMLElement {
  return h(
    'time',
    { class: cls, datetime: iso, title: dateTime(iso, zone), dataset: { ago: iso } },
    ago(iso),
  );
}

export function fact(name: string, ...value: Child[]): HTMLElement {
  return h('div', { class: 'fact' }, h('dt', {}, name), h('dd', {}, ...value));
}

export function groupBy<T>(items: T[], keyOf: (x: T) => string): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const list = groups.get(k) ?? [];
    list.push(item);
    groups.set(k, list);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

export function showError(message: string): void {
  const el = document.getElementById('error');
  if (!el) return;
  el.textContent = message;
  el.hidden = !message;
}

/** A ticket's title in the page's language (the stored one is written in English by the collector). */
export function displayTitle(x: {
  kind: string;
  checkId: string;
  severity: string;
  host: string;
  title: string;
  environment: string;
}): string {
  if (x.kind === 'request') return x.title;
  if (x.kind === 'agent_unreachable') return t('titleUnreachable', { host: x.host });
  if (x.checkId.startsWith('parity:'))
    return t('titleParity', { environment: tv('env', x.checkId.slice(7)) });
  if (x.kind === 'flapping') return t('titleFlapping', { check: x.checkId, host: x.host });
  return t('titleCheck', { check: x.checkId, severity: tv('sev', x.severity), host: x.host });
}

/**
 * A ticket's message in the page's language: the texts the collector writes itself (threshold findings, parity
 * summaries, silent agents) are recognised and written again; what an agent wrote is shown as it is.
 */
export function displayMessage(x: { message: string; tenant: string; checkId: string }): string {
  if (locale() === 'en') return x.message;
  const threshold = /^(\S+) = (\S+) \((critical|warning|unknown): rule (\S+), limit (\S+)\)$/.exec(x.message);
  if (threshold)
    return t('msgThreshold', {
      metric: threshold[1] ?? '',
      value: threshold[2] ?? '',
      severity: tv('sev', threshold[3] ?? ''),
      rule: threshold[4] ?? '',
      limit: threshold[5] ?? '',
    });
  const parity = /(\d+) critical, (\d+) warning, (\d+) info difference/.exec(x.message);
  if (x.checkId.startsWith('parity:') && parity)
    return t('msgParity', { critical: parity[1] ?? '0', warning: parity[2] ?? '0', info: parity[3] ?? '0' });
  const silent = /^no result since (\S+)$/.exec(x.message);
  if (silent) return t('msgNoResult', { when: dateTime(silent[1], zoneOf(x.tenant)) });
  return x.message;
}
