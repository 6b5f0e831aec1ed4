// The host view: facts, maintenance under way or to come, a quick silence and decommissioning (provider), the
// checks with their last results, and the metric charts over a chosen period (1 h to 7 days, or custom).
import { api, q } from './api';
import {
  agoEl,
  badge,
  fact,
  isSilent,
  isSkewed,
  RANK,
  skewText,
  tenantLabel,
  worstOf,
  zoneOf,
} from './common';
import { $, type Child, fill, h, openDialog } from './dom';
import { dateTime, t, tv } from './i18n';
import { isProvider, state } from './state';
import type { Agent, CheckStatus, Point, Threshold, Window } from './types';
import { unitOf, withUnit } from './units';

const RANGES: Array<[string, number]> = [
  ['1h', 3_600_000],
  ['6h', 6 * 3_600_000],
  ['24h', 24 * 3_600_000],
  ['7d', 7 * 24 * 3_600_000],
];
let range: { kind: string; fromMs?: number; toMs?: number } = { kind: '1h' };
let changed: () => Promise<void> = async () => undefined;

export function onHostChanged(f: () => Promise<void>): void {
  changed = f;
}

export async function openHost(tenant: string, host: string): Promise<void> {
  state.hostOpen = { tenant, host };
  $('host-title').textContent = host;
  renderRange();
  fill($('host-body'), h('p', { class: 'muted' }, t('loading')));
  openDialog($('host-dialog') as HTMLDialogElement);
  await loadHost();
}

function period(): { fromMs: number; toMs: number } {
  if (range.kind === 'custom' && range.fromMs !== undefined && range.toMs !== undefined)
    return { fromMs: range.fromMs, toMs: range.toMs };
  const span = RANGES.find(([k]) => k === range.kind)?.[1] ?? 3_600_000;
  const now = Date.now();
  return { fromMs: now - span, toMs: now };
}

/** `datetime-local` value of an instant as read in the browser's zone. */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function renderRange(): void {
  const p = period();
  fill(
    $('host-range'),
    h('span', { class: 'muted small' }, t('period')),
    RANGES.map(([k]) =>
      h(
        'button',
        {
          type: 'button',
          class: 'range-btn',
          'aria-pressed': range.kind === k ? 'true' : 'false',
          dataset: { range: k },
          onclick: () => {
            range = { kind: k };
            renderRange();
            void loadHost();
          },
        },
        tv('range', k),
      ),
    ),
    h(
      'form',
      {
        class: 'custom-range',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const from = Date.parse(($('range-from') as HTMLInputElement).value);
          const to = Date.parse(($('range-to') as HTMLInputElement).value);
          if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) return;
          range = { kind: 'custom', fromMs: from, toMs: to };
          renderRange();
          void loadHost();
        },
      },
      h('label', { class: 'visually-hidden', for: 'range-from' }, t('from')),
      h('input', { id: 'range-from', type: 'datetime-local', value: localInput(p.fromMs) }),
      h('label', { class: 'visually-hidden', for: 'range-to' }, t('to')),
      h('input', { id: 'range-to', type: 'datetime-local', value: localInput(p.toMs) }),
      h(
        'button',
        { type: 'submit', 'aria-pressed': range.kind === 'custom' ? 'true' : 'false' },
        t('customRange'),
      ),
    ),
  );
}

export async function loadHost(): Promise<void> {
  const target = state.hostOpen;
  if (!target) return;
  const p = period();
  const tenantQ = { tenant: target.tenant };
  const host = encodeURIComponent(target.host);
  const [agents, series, thresholds, windows, forecasts, chartsModule] = await Promise.all([
    api<Agent[]>(`/api/agents${q({ ...tenantQ, decommissioned: 'true' })}`).catch((err: Error) => err),
    api<Point[]>(
      `/api/hosts/${host}/series${q({ ...tenantQ, since: new Date(p.fromMs).toISOString(), until: new Date(p.toMs).toISOString(), maxPoints: '400' })}`,
    ).catch((err: Error) => err),
    api<Threshold[]>(`/api/hosts/${host}/thresholds${q(tenantQ)}`).catch(() => [] as Threshold[]),
    api<Window[]>(
      `/api/maintenance${q({ ...tenantQ, host: target.host, from: new Date().toISOString() })}`,
    ).catch(() => [] as Window[]),
    api<ForecastLine[]>(`/api/hosts/${host}/forecasts${q(tenantQ)}`).catch(() => [] as ForecastLine[]),
    import('./charts'),
  ]);
  // The forecast of a series, drawn over its chart up to its predicted crossing (or half a period beyond).
  chartsModule.overlays.splice(0, chartsModule.overlays.length, (g) =>
    forecasts
      .filter((f) => f.forecast.check === g.check && f.forecast.series === g.field && f.line.length === 2)
      .map((f) => ({
        label: f.crossing
          ? t('forecastUntil', { when: dateTime(f.crossing.time, zoneOf(target.tenant)) })
          : t('forecastLine'),
        points: clip(f.line, p.toMs + (p.toMs - p.fromMs) / 2),
        dash: [6, 4],
      })),
  );
  if (state.hostOpen !== target) return;
  const agent = Array.isArray(agents) ? agents.find((a) => a.host === target.host) : undefined;
  const body = $('host-body');
  if (!agent) {
    fill(body, h('p', { class: 'error' }, agents instanceof Error ? agents.message : t('hostUnknown')));
    return;
  }
  const zone = zoneOf(agent.tenant);
  const groups = Array.isArray(series) ? chartsModule.groupSeries(series) : [];
  fill(
    body,
    h(
      'dl',
      { class: 'facts' },
      fact(t('tenant'), tenantLabel(agent.tenant)),
      fact(t('application'), agent.application || '—'),
      fact(t('environment'), tv('env', agent.environment)),
      fact(t('agent'), agent.version),
      fact(
        t('connection'),
        agent.connected ? t('connected') : h('span', { class: 'silent-tag' }, t('disconnected')),
      ),
      fact(
        t('lastSeen'),
        agoEl(agent.lastSeen, zone),
        isSilent(agent) ? h('span', { class: 'silent-tag' }, ` ${t('silent')}`) : null,
      ),
      fact(
        t('clock'),
        h(
          'span',
          { class: isSkewed(agent) ? 'skew-tag clock-skew' : 'clock-skew' },
          skewText(agent.clockSkewMs),
        ),
      ),
      fact(t('worstStatus'), badge(worstOf(agent.checks.map((c) => c.status)))),
      fact(t('timeZone'), zone),
      agent.decommissionedAt ? fact(t('decommissioned'), dateTime(agent.decommissionedAt, zone)) : null,
    ),
    maintenanceBlock(agent, windows, zone),
    isProvider() && !agent.decommissionedAt ? hostActions(agent) : null,
    h('h3', {}, t('checks')),
    checksTable(agent.checks, zone),
    h('h3', {}, t('metrics'), h('span', { class: 'muted small' }, ` · ${t('chartsHelp', { zone })}`)),
    series instanceof Error
      ? h('p', { class: 'muted' }, t('noCharts', { reason: series.message }))
      : chartsModule.renderCharts(groups, thresholds, { ...p, zone }),
  );
}

/** What GET /api/hosts/:host/forecasts answers: a fitted line (two points) and its predicted crossing. */
interface ForecastLine {
  forecast: { check: string; series: string; instance: string | null };
  line: Array<{ time: string; value: number }>;
  crossing: { time: string; value: number } | null;
}

/** The line's two points in ms, the second moved back to `untilMs` (on the line) when it lies beyond it. */
function clip(line: ForecastLine['line'], untilMs: number): Array<[number, number]> {
  const [a, b] = line as [ForecastLine['line'][0], ForecastLine['line'][0]];
  const ta = Date.parse(a.time);
  const tb = Date.parse(b.time);
  if (tb <= untilMs || tb === ta)
    return [
      [ta, a.value],
      [tb, b.value],
    ];
  const v = a.value + ((b.value - a.value) * (untilMs - ta)) / (tb - ta);
  return [
    [ta, a.value],
    [untilMs, v],
  ];
}

function maintenanceBlock(agent: Agent, windows: Window[], zone: string): Child {
  const relevant = windows.filter(
    (w) => !w.endedAt && (w.application === null || w.application === agent.application) && w.nextRun,
  );
  if (relevant.length === 0) return null;
  return h(
    'div',
    { class: 'maintenance-banner', role: 'note' },
    h('strong', {}, t('maintenance')),
    h(
      'ul',
      {},
      relevant.map((w) =>
        h(
          'li',
          { dataset: { window: w.id } },
          h('span', { class: `tag ${w.active ? 'maint' : ''}` }, w.active ? t('runningNow') : t('upcoming')),
          ' ',
          w.checkId ? `${w.checkId} · ` : '',
          w.reason,
          ' · ',
          t('windowRun', {
            from: dateTime(w.nextRun?.from, zone),
            to: w.nextRun?.to ? dateTime(w.nextRun.to, zone) : t('noEnd'),
          }),
          ' · ',
          w.createdBy,
        ),
      ),
    ),
  );
}

function hostActions(agent: Agent): Child {
  const status = h('p', { class: 'action-status', role: 'status', id: 'host-action-status' });
  return h(
    'div',
    { class: 'host-actions' },
    h(
      'form',
      {
        class: 'action',
        id: 'form-silence',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          const reason = ($('silence-reason') as HTMLInputElement).value.trim();
          if (!reason) {
            status.textContent = t('giveReason');
            $('silence-reason').focus();
            return;
          }
          try {
            await api('/api/maintenance', {
              method: 'POST',
              body: {
                tenant: agent.tenant,
                host: agent.host,
                reason,
                duration: ($('silence-duration') as HTMLSelectElement).value,
              },
            });
            status.textContent = t('silenced');
            await changed();
            await loadHost();
          } catch (err) {
            status.textContent = (err as Error).message;
          }
        },
      },
      h('label', { for: 'silence-reason' }, t('silenceHost')),
      h('input', { id: 'silence-reason', type: 'text', maxlength: 2000, placeholder: t('reason') }),
      h('label', { for: 'silence-duration', class: 'visually-hidden' }, t('duration')),
      h(
        'select',
        { id: 'silence-duration' },
        ['30m', '1h', '2h', '4h', '8h', '24h'].map((d) =>
          h('option', { value: d, selected: d === '1h' }, tv('dur', d)),
        ),
      ),
      h('button', { type: 'submit' }, t('silence')),
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'danger',
        id: 'decommission',
        onclick: async () => {
          if (!window.confirm(t('confirmDecommission', { host: agent.host }))) return;
          try {
            await api(
              `/api/hosts/${encodeURIComponent(agent.host)}/decommission${q({ tenant: agent.tenant })}`,
              { method: 'POST', body: {} },
            );
            status.textContent = t('decommissionedDone');
            await changed();
            await loadHost();
          } catch (err) {
            status.textContent = (err as Error).message;
          }
        },
      },
      t('decommission'),
    ),
    status,
  );
}

function checksTable(checks: CheckStatus[], zone: string): Child {
  if (checks.length === 0) return h('p', { class: 'muted' }, t('noCheckYet'));
  const sorted = [...checks].sort(
    (a, b) => (RANK[b.status] ?? 1) - (RANK[a.status] ?? 1) || a.checkId.localeCompare(b.checkId),
  );
  return h(
    'table',
    { class: 'checks' },
    h('caption', { class: 'visually-hidden' }, t('checksCaption')),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        [t('status'), t('check'), t('category'), t('lastResult'), t('observed'), t('metrics')].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      sorted.map((c) =>
        h(
          'tr',
          {},
          h('td', {}, badge(c.status)),
          h('td', {}, h('span', { class: 'mono' }, c.checkId), h('span', { class: 'small muted' }, c.type)),
          h('td', {}, tv('cat', c.category)),
          h('td', { class: 'message' }, c.message),
          h('td', {}, agoEl(c.observedAt, zone, 'small')),
          h(
            'td',
            { class: 'small mono' },
            Object.entries(c.metrics)
              .slice(0, 8)
              .map(([k, v]) =>
                h('span', { class: 'metric' }, `${k} = ${withUnit(v, unitOf(k.split('@')[0] ?? k))}`),
              ),
          ),
        ),
      ),
    ),
  );
}
