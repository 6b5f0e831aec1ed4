// The panels opened from the header: maintenance windows (list, schedule, silence, end), tenants (create,
// edit, archive), ticket history (date range search with paging) and a new request.
import { api, q, request } from './api';
import { badge, displayTitle, statusText, tenantLabel, zoneOf } from './common';
import { $, type Child, fill, h, openDialog } from './dom';
import { dateTime, t, tv } from './i18n';
import { isProvider, state } from './state';
import type { Tenant, Ticket, Window } from './types';

let changed: () => Promise<void> = async () => undefined;
export function onPanelChanged(f: () => Promise<void>): void {
  changed = f;
}

function openPanel(title: string): HTMLElement {
  $('panel-title').textContent = title;
  const body = $('panel-body');
  fill(body, h('p', { class: 'muted' }, t('loading')));
  openDialog($('panel-dialog') as HTMLDialogElement);
  return body;
}

const status = () => h('p', { class: 'action-status', role: 'status', id: 'panel-status' });
const say = (text: string) => {
  const el = document.getElementById('panel-status');
  if (el) el.textContent = text;
};
const value = (id: string) =>
  (document.getElementById(id) as HTMLInputElement | HTMLSelectElement | null)?.value.trim() ?? '';
/** A `datetime-local` value, read in the browser's zone, as an ISO instant. */
const instant = (id: string) => {
  const v = value(id);
  return v ? new Date(v).toISOString() : undefined;
};
const tenantOptions = (selected?: string) =>
  state.tenants
    .filter((x) => !x.archivedAt)
    .map((x) => h('option', { value: x.id, selected: x.id === selected }, x.name));

// ---- maintenance ----

export async function openMaintenance(): Promise<void> {
  const body = openPanel(t('maintenanceTitle'));
  const windows = await api<Window[]>(`/api/maintenance${q({ tenant: state.tenantFilter || undefined })}`);
  const now = Date.now();
  const current = windows.filter((w) => !w.endedAt && w.nextRun !== null);
  const past = windows.filter((w) => !current.includes(w)).slice(0, 50);
  const row = (w: Window): HTMLElement => {
    const zone = zoneOf(w.tenant);
    return h(
      'tr',
      { dataset: { window: w.id } },
      h(
        'td',
        {},
        h(
          'span',
          { class: `tag ${w.active ? 'maint' : ''}` },
          w.active ? t('runningNow') : w.nextRun ? t('upcoming') : t('ended'),
        ),
      ),
      h('td', {}, [tenantLabel(w.tenant), w.application, w.host, w.checkId].filter(Boolean).join(' › ')),
      h('td', {}, w.reason),
      h(
        'td',
        { class: 'small' },
        w.recurrence
          ? t('recurring', {
              when:
                w.recurrence.every === 'day'
                  ? t('everyDay')
                  : (w.recurrence.days?.map((d) => tv('wd', String(d))).join(', ') ?? ''),
              at: w.recurrence.at,
              duration: w.recurrence.duration,
              zone: w.recurrence.timeZone,
            })
          : t('windowRun', {
              from: dateTime(w.startsAt, zone),
              to: w.endsAt ? dateTime(w.endsAt, zone) : t('noEnd'),
            }),
        w.active && w.nextRun?.to
          ? h('span', { class: 'muted' }, ` · ${t('until', { when: dateTime(w.nextRun.to, zone) })}`)
          : null,
      ),
      h(
        'td',
        { class: 'small muted' },
        `${w.createdBy} · ${dateTime(w.createdAt, zone)}`,
        w.endedAt ? ` · ${t('endedBy', { who: w.endedBy ?? '', when: dateTime(w.endedAt, zone) })}` : '',
      ),
      h(
        'td',
        {},
        isProvider() && !w.endedAt && (w.active || (w.nextRun && Date.parse(w.nextRun.from) > now))
          ? h(
              'button',
              {
                type: 'button',
                class: 'small',
                onclick: async () => {
                  try {
                    await api(`/api/maintenance/${encodeURIComponent(w.id)}/end`, {
                      method: 'POST',
                      body: {},
                    });
                    await changed();
                    await openMaintenance();
                  } catch (err) {
                    say((err as Error).message);
                  }
                },
              },
              w.active ? t('endNow') : t('cancel'),
            )
          : null,
      ),
    );
  };
  const table = (rows: Window[], caption: string): Child =>
    rows.length === 0
      ? h('p', { class: 'muted' }, t('none'))
      : h(
          'table',
          { class: 'windows' },
          h('caption', { class: 'visually-hidden' }, caption),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [t('state'), t('scope'), t('reason'), t('when'), t('author'), ''].map((c) =>
                h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          h('tbody', {}, rows.map(row)),
        );
  fill(
    body,
    isProvider() ? maintenanceForm() : null,
    status(),
    h('h3', {}, t('currentWindows')),
    table(current, t('currentWindows')),
    h('h3', {}, t('pastWindows')),
    table(past, t('pastWindows')),
  );
}

function maintenanceForm(): Child {
  const tenantDefault =
    state.tenantFilter || state.me?.tenant || state.tenants.find((x) => !x.archivedAt)?.id;
  return h(
    'form',
    {
      class: 'grid-form',
      id: 'form-window',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const mode = value('w-mode');
        const bodyOf: Record<string, unknown> = {
          tenant: value('w-tenant'),
          reason: value('w-reason'),
          ...(value('w-application') ? { application: value('w-application') } : {}),
          ...(value('w-host') ? { host: value('w-host') } : {}),
          ...(value('w-check') ? { checkId: value('w-check') } : {}),
        };
        if (mode === 'now') bodyOf.duration = value('w-duration');
        else if (mode === 'once')
          Object.assign(bodyOf, { startsAt: instant('w-start'), endsAt: instant('w-end') });
        else {
          const days = [...document.querySelectorAll<HTMLInputElement>('input[name="w-day"]:checked')].map(
            (x) => Number(x.value),
          );
          Object.assign(bodyOf, {
            startsAt: instant('w-start') ?? new Date().toISOString(),
            ...(instant('w-end') ? { endsAt: instant('w-end') } : {}),
            recurrence: {
              every: days.length === 7 || days.length === 0 ? 'day' : 'week',
              ...(days.length && days.length < 7 ? { days } : {}),
              at: value('w-at'),
              duration: value('w-duration'),
              timeZone: zoneOf(value('w-tenant')),
            },
          });
        }
        try {
          await api('/api/maintenance', { method: 'POST', body: bodyOf });
          await changed();
          await openMaintenance();
          say(t('windowCreated'));
        } catch (err) {
          say((err as Error).message);
        }
      },
    },
    h('h3', {}, t('newWindow')),
    h('label', { for: 'w-tenant' }, t('tenant')),
    h('select', { id: 'w-tenant', required: true }, tenantOptions(tenantDefault)),
    h('label', { for: 'w-application' }, t('applicationOptional')),
    h('input', { id: 'w-application', type: 'text' }),
    h('label', { for: 'w-host' }, t('hostOptional')),
    h('input', { id: 'w-host', type: 'text' }),
    h('label', { for: 'w-check' }, t('checkOptional')),
    h('input', { id: 'w-check', type: 'text' }),
    h('label', { for: 'w-reason' }, t('reason')),
    h('input', { id: 'w-reason', type: 'text', required: true, maxlength: 2000 }),
    h('label', { for: 'w-mode' }, t('when')),
    h(
      'select',
      { id: 'w-mode' },
      h('option', { value: 'now' }, t('modeNow')),
      h('option', { value: 'once' }, t('modeOnce')),
      h('option', { value: 'recurring' }, t('modeRecurring')),
    ),
    h('label', { for: 'w-start' }, t('start')),
    h('input', { id: 'w-start', type: 'datetime-local' }),
    h('label', { for: 'w-end' }, t('end')),
    h('input', { id: 'w-end', type: 'datetime-local' }),
    h('label', { for: 'w-duration' }, t('duration')),
    h('input', { id: 'w-duration', type: 'text', value: '1h', pattern: '\\d+(\\.\\d+)?(m|h|d)' }),
    h('label', { for: 'w-at' }, t('atTime')),
    h('input', { id: 'w-at', type: 'time', value: '02:00' }),
    h(
      'fieldset',
      { class: 'days' },
      h('legend', {}, t('weekdays')),
      [1, 2, 3, 4, 5, 6, 7].map((d) =>
        h(
          'label',
          { class: 'inline' },
          h('input', { type: 'checkbox', name: 'w-day', value: d }),
          tv('wd', String(d)),
        ),
      ),
    ),
    h('button', { type: 'submit', class: 'primary' }, t('createWindow')),
  );
}

// ---- tenants ----

export async function openTenants(): Promise<void> {
  const body = openPanel(t('tenantsTitle'));
  const tenants = await api<Tenant[]>('/api/tenants');
  const zoneInput = (id: string, v: string | null) =>
    h('input', { id, type: 'text', value: v ?? '', placeholder: 'Europe/Paris', list: 'zones' });
  const localeSelect = (id: string, v: string | null) =>
    h(
      'select',
      { id },
      h('option', { value: '' }, t('defaultLocale')),
      h('option', { value: 'fr', selected: v === 'fr' }, 'Français'),
      h('option', { value: 'en', selected: v === 'en' }, 'English'),
    );
  fill(
    body,
    h(
      'datalist',
      { id: 'zones' },
      ['Europe/Paris', 'Europe/Brussels', 'Europe/Zurich', 'Europe/London', 'America/Montreal', 'UTC'].map(
        (z) => h('option', { value: z }),
      ),
    ),
    h(
      'form',
      {
        class: 'grid-form',
        id: 'form-tenant',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          try {
            await api('/api/tenants', {
              method: 'POST',
              body: {
                id: value('nt-id'),
                name: value('nt-name'),
                ...(value('nt-zone') ? { timeZone: value('nt-zone') } : {}),
                ...(value('nt-locale') ? { locale: value('nt-locale') } : {}),
              },
            });
            await changed();
            await openTenants();
            say(t('tenantCreated'));
          } catch (err) {
            say((err as Error).message);
          }
        },
      },
      h('h3', {}, t('newTenant')),
      h('label', { for: 'nt-id' }, t('tenantId')),
      h('input', { id: 'nt-id', type: 'text', required: true, pattern: '[a-z0-9][a-z0-9_-]*' }),
      h('label', { for: 'nt-name' }, t('name')),
      h('input', { id: 'nt-name', type: 'text', required: true }),
      h('label', { for: 'nt-zone' }, t('timeZone')),
      zoneInput('nt-zone', null),
      h('label', { for: 'nt-locale' }, t('language')),
      localeSelect('nt-locale', null),
      h('button', { type: 'submit', class: 'primary' }, t('createTenant')),
    ),
    status(),
    h(
      'table',
      { class: 'tenants' },
      h('caption', { class: 'visually-hidden' }, t('tenantsTitle')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t('tenantId'), t('name'), t('timeZone'), t('language'), t('state'), ''].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        tenants.map((x) =>
          h(
            'tr',
            { dataset: { tenant: x.id } },
            h('td', { class: 'mono' }, x.id),
            h(
              'td',
              {},
              x.archivedAt
                ? x.name
                : h('input', {
                    id: `tn-${x.id}`,
                    type: 'text',
                    value: x.name,
                    'aria-label': t('nameOf', { id: x.id }),
                  }),
            ),
            h('td', {}, x.archivedAt ? x.timeZone : zoneInput(`tz-${x.id}`, x.timeZoneSetting)),
            h('td', {}, x.archivedAt ? (x.locale ?? '—') : localeSelect(`tl-${x.id}`, x.locale)),
            h(
              'td',
              {},
              x.archivedAt ? t('archivedOn', { when: dateTime(x.archivedAt, x.timeZone) }) : t('active'),
            ),
            h(
              'td',
              {},
              x.archivedAt
                ? null
                : [
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'small',
                        onclick: async () => {
                          try {
                            await api(`/api/tenants/${encodeURIComponent(x.id)}`, {
                              method: 'PATCH',
                              body: {
                                name: value(`tn-${x.id}`),
                                timeZone: value(`tz-${x.id}`) || null,
                                locale: value(`tl-${x.id}`) || null,
                              },
                            });
                            await changed();
                            await openTenants();
                            say(t('saved'));
                          } catch (err) {
                            say((err as Error).message);
                          }
                        },
                      },
                      t('save'),
                    ),
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'small danger',
                        onclick: async () => {
                          if (!window.confirm(t('confirmArchive', { name: x.name }))) return;
                          try {
                            await api(`/api/tenants/${encodeURIComponent(x.id)}/archive`, {
                              method: 'POST',
                              body: {},
                            });
                            await changed();
                            await openTenants();
                          } catch (err) {
                            say((err as Error).message);
                          }
                        },
                      },
                      t('archive'),
                    ),
                  ],
            ),
          ),
        ),
      ),
    ),
  );
}

// ---- history ----

export async function openHistory(): Promise<void> {
  const body = openPanel(t('historyTitle'));
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 7 * 86_400_000);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const results = h('tbody', { id: 'history-rows' });
  const more = h('button', { type: 'button', id: 'history-more', hidden: true }, t('loadMore'));
  let cursor = '';
  const search = async (append: boolean) => {
    const from = value('hs-from');
    const to = value('hs-to');
    const params = {
      from: from ? new Date(`${from}T00:00:00`).toISOString() : undefined,
      // The end date is included: up to the next midnight.
      to: to ? new Date(new Date(`${to}T00:00:00`).getTime() + 86_400_000).toISOString() : undefined,
      status: value('hs-status') || undefined,
      severity: value('hs-severity') || undefined,
      priority: value('hs-priority') || undefined,
      category: value('hs-category') || undefined,
      tenant: state.tenantFilter || undefined,
      limit: '50',
      cursor: append ? cursor : undefined,
    };
    try {
      const r = await request(`/api/tickets${q(params)}`);
      const tickets = (await r.json()) as Ticket[];
      cursor = r.headers.get('x-next-cursor') ?? '';
      more.hidden = !cursor;
      const rows = tickets.map((x) =>
        h(
          'tr',
          { dataset: { ticketId: x.id } },
          h('td', { class: 'small' }, dateTime(x.openedAt, zoneOf(x.tenant))),
          h('td', {}, x.priority),
          h('td', {}, badge(x.severity)),
          h('td', {}, statusText(x.status)),
          h('td', {}, `${x.host} · ${tenantLabel(x.tenant)}`),
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'link',
                onclick: () => document.dispatchEvent(new CustomEvent('vigie:open-ticket', { detail: x.id })),
              },
              displayTitle(x),
            ),
          ),
        ),
      );
      if (append) results.append(...rows);
      else
        fill(
          results,
          rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, t('noTicketMatches'))),
        );
      say(t('historyCount', { n: results.querySelectorAll('tr[data-ticket-id]').length }));
    } catch (err) {
      say((err as Error).message);
    }
  };
  more.addEventListener('click', () => void search(true));
  const select = (id: string, label: string, values: string[], text: (v: string) => string) => [
    h('label', { for: id }, label),
    h(
      'select',
      { id },
      h('option', { value: '' }, t('all')),
      values.map((v) => h('option', { value: v }, text(v))),
    ),
  ];
  fill(
    body,
    h(
      'form',
      {
        class: 'grid-form',
        id: 'form-history',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void search(false);
        },
      },
      h('label', { for: 'hs-from' }, t('from')),
      h('input', { id: 'hs-from', type: 'date', value: day(weekAgo) }),
      h('label', { for: 'hs-to' }, t('to')),
      h('input', { id: 'hs-to', type: 'date', value: day(today) }),
      select(
        'hs-status',
        t('status'),
        ['open', 'acknowledged', 'in_progress', 'waiting', 'resolved', 'closed'],
        (v) => tv('status', v),
      ),
      select('hs-severity', t('severity'), ['critical', 'warning', 'unknown'], (v) => tv('sev', v)),
      select('hs-priority', t('priority'), ['P1', 'P2', 'P3', 'P4'], (v) => v),
      select(
        'hs-category',
        t('category'),
        ['performance', 'backup', 'security', 'drift', 'agent', 'request'],
        (v) => tv('cat', v),
      ),
      h('button', { type: 'submit', class: 'primary' }, t('searchAction')),
    ),
    status(),
    h(
      'table',
      { class: 'history' },
      h('caption', { class: 'visually-hidden' }, t('historyTitle')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t('openedAt'), t('priority'), t('severity'), t('status'), t('colWhere'), t('colWhat')].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      results,
    ),
    more,
  );
  await search(false);
}

// ---- request ----

export function openRequest(): void {
  const body = openPanel(t('requestTitle'));
  fill(
    body,
    h(
      'form',
      {
        class: 'grid-form',
        id: 'form-request',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          try {
            const created = await api<Ticket>('/api/requests', {
              method: 'POST',
              body: {
                ...(state.me?.tenant ? {} : { tenant: value('rq-tenant') }),
                title: value('rq-title'),
                description: value('rq-text'),
                ...(value('rq-application') ? { application: value('rq-application') } : {}),
                priority: value('rq-priority'),
              },
            });
            await changed();
            say(t('requestCreated', { id: created.id }));
            (document.getElementById('form-request') as HTMLFormElement).reset();
          } catch (err) {
            say((err as Error).message);
          }
        },
      },
      state.me?.tenant
        ? null
        : [
            h('label', { for: 'rq-tenant' }, t('tenant')),
            h('select', { id: 'rq-tenant' }, tenantOptions(state.tenantFilter)),
          ],
      h('label', { for: 'rq-title' }, t('requestSubject')),
      h('input', { id: 'rq-title', type: 'text', required: true, maxlength: 300 }),
      h('label', { for: 'rq-text' }, t('requestText')),
      h('textarea', { id: 'rq-text', required: true, rows: 4, maxlength: 5000 }),
      h('label', { for: 'rq-application' }, t('applicationOptional')),
      h('input', { id: 'rq-application', type: 'text' }),
      h('label', { for: 'rq-priority' }, t('priority')),
      h(
        'select',
        { id: 'rq-priority' },
        ['P2', 'P3', 'P4'].map((p) => h('option', { value: p, selected: p === 'P3' }, p)),
      ),
      h('button', { type: 'submit', class: 'primary' }, t('sendRequest')),
    ),
    status(),
  );
}
