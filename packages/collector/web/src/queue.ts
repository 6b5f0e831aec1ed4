// The ticket queue: filters (severity, priority, status, tenant, application, category, free text), the rows
// sorted by what falls due first, each with its SLA countdown in contract time and its wall-clock due time.
import { agoEl, badge, displayMessage, displayTitle, statusText, tenantLabel, zoneOf } from './common';
import { $, fill, h } from './dom';
import { dueTime, span, t, tv } from './i18n';
import { isClient, type QueueFilters, state } from './state';
import type { Ticket } from './types';

export const ACTIVE_STATUSES = 'open,acknowledged,in_progress,waiting';
const PRIORITY_ORDER: Record<string, number> = { P1: 1, P2: 2, P3: 3, P4: 4 };

/** Covered time left now, counted down from the figures fetched while the clock runs. */
export function remaining(ticket: Ticket, now = Date.now()): number | undefined {
  const c = ticket.countdown;
  if (!c) return undefined;
  return c.running ? c.remainingMs - (now - state.fetchedAt) : c.remainingMs;
}

export function slaState(ticket: Ticket): { breached: boolean; atRisk: boolean } {
  const left = remaining(ticket);
  const phase = ticket.countdown?.phase ?? (ticket.acknowledgedAt ? 'resolution' : 'response');
  const breached =
    ticket.sla.responseBreached || ticket.sla.resolutionBreached || (left !== undefined && left < 0);
  const atRisk =
    !breached && (phase === 'response' ? ticket.sla.responseAtRisk : ticket.sla.resolutionAtRisk);
  return { breached, atRisk };
}

function matches(x: Ticket): boolean {
  const f = state.filters;
  if (f.severity && x.severity !== f.severity) return false;
  if (f.priority && x.priority !== f.priority) return false;
  if (f.status && x.status !== f.status) return false;
  if (f.tenant && x.tenant !== f.tenant) return false;
  if (f.application && x.application !== f.application) return false;
  if (f.category && (x.category ?? 'other') !== f.category) return false;
  if (f.sla === 'breached' && !slaState(x).breached) return false;
  if (f.sla === 'at_risk' && !slaState(x).atRisk) return false;
  return true;
}

function sorted(all: Ticket[]): Ticket[] {
  const text = state.filters.text.trim().toLowerCase();
  const tickets = all.filter(matches);
  const visible = text
    ? tickets.filter((x) =>
        [
          x.host,
          x.tenant,
          tenantLabel(x.tenant),
          x.application,
          x.environment,
          x.checkId,
          x.title,
          x.message,
          x.priority,
        ]
          .join(' ')
          .toLowerCase()
          .includes(text),
      )
    : tickets;
  const due = (x: Ticket) => (x.countdown ? Date.parse(x.countdown.dueAt) : Number.POSITIVE_INFINITY);
  return [...visible].sort(
    (a, b) =>
      due(a) - due(b) ||
      (PRIORITY_ORDER[a.priority] ?? 9) - (PRIORITY_ORDER[b.priority] ?? 9) ||
      a.openedAt.localeCompare(b.openedAt),
  );
}

export function visibleTickets(): Ticket[] {
  return sorted(state.tickets);
}

interface CountdownFigures {
  left: number;
  business: boolean;
  stoppedBy: string | null;
}

/** The countdown text: covered time left (business hours said so), paused or past due. */
function textOf(f: CountdownFigures): string {
  const amount = span(f.left);
  const business = f.business ? ` ${t('businessHours')}` : '';
  if (f.stoppedBy === 'client') return t('pausedClient', { left: amount + business });
  if (f.stoppedBy === 'maintenance') return t('pausedMaintenance', { left: amount + business });
  if (f.left < 0) return t('overdue', { by: amount + business });
  if (f.stoppedBy === 'hours') return t('pausedHours', { left: amount + business });
  return amount + business;
}

export function countdownText(ticket: Ticket, now = Date.now()): string {
  const c = ticket.countdown;
  const left = remaining(ticket, now);
  if (!c || left === undefined) return t('noTarget');
  return textOf({ left, business: c.calendar === 'business', stoppedBy: c.stoppedBy });
}

/** The countdown and the due time; the 1 s tick recomputes it from its data attributes. */
export function countdownEl(ticket: Ticket): HTMLElement {
  const c = ticket.countdown;
  if (!c) return h('span', { class: 'countdown muted' }, t('noTarget'));
  const zone = c.timeZone ?? zoneOf(ticket.tenant);
  return h(
    'span',
    { class: 'countdown-box' },
    h(
      'span',
      {
        class: `countdown${c.running ? ' running' : ' stopped'}`,
        dataset: {
          remaining: String(c.remainingMs),
          fetched: String(state.fetchedAt),
          running: c.running ? '1' : '0',
          business: c.calendar === 'business' ? '1' : '0',
          stopped: c.stoppedBy ?? '',
        },
      },
      countdownText(ticket),
    ),
    h('span', { class: 'due-at small muted', title: c.dueAt }, t('dueAt', { when: dueTime(c.dueAt, zone) })),
  );
}

function slaTags(ticket: Ticket): HTMLElement[] {
  const tags: Array<[string, string]> = [];
  if (ticket.sla.responseBreached) tags.push(['breached', t('responseBreached')]);
  if (ticket.sla.resolutionBreached) tags.push(['breached', t('resolutionBreached')]);
  if (ticket.sla.responseAtRisk && !ticket.sla.responseBreached) tags.push(['at-risk', t('responseAtRisk')]);
  if (ticket.sla.resolutionAtRisk && !ticket.sla.resolutionBreached)
    tags.push(['at-risk', t('resolutionAtRisk')]);
  return tags.map(([cls, text]) => h('span', { class: `tag ${cls}` }, text));
}

export { slaTags };

function row(ticket: Ticket, actions: QueueActions): HTMLElement {
  const sla = slaState(ticket);
  const phase = ticket.countdown?.phase ?? (ticket.acknowledgedAt ? 'resolution' : 'response');
  return h(
    'tr',
    {
      class: `ticket${sla.breached ? ' breached' : sla.atRisk ? ' at-risk' : ''}${state.selected === ticket.id ? ' selected' : ''}`,
      dataset: { ticketId: ticket.id, host: ticket.host, tenant: ticket.tenant },
      'aria-selected': state.selected === ticket.id ? 'true' : 'false',
    },
    h(
      'td',
      { class: 'due' },
      countdownEl(ticket),
      h(
        'span',
        { class: 'due-kind small muted' },
        phase === 'response' ? t('responseDue') : t('resolutionDue'),
      ),
      slaTags(ticket),
      ticket.maintenance
        ? h('span', { class: 'tag maint', title: ticket.maintenance.reason }, t('maintenanceTag'))
        : null,
    ),
    h(
      'td',
      { class: 'prio' },
      h('span', { class: `prio-badge prio-${ticket.priority}` }, ticket.priority),
      h('span', { class: 'level', title: t('supportLevel') }, ticket.supportLevel),
      h('span', { class: `tstatus ts-${ticket.status}` }, statusText(ticket.status)),
    ),
    h(
      'td',
      { class: 'where' },
      h('span', { class: 'host' }, ticket.host),
      h(
        'span',
        { class: 'small muted' },
        [ticket.application, ticket.environment && tv('env', ticket.environment)].filter(Boolean).join(' · '),
      ),
      h('span', { class: 'small muted' }, tenantLabel(ticket.tenant)),
    ),
    h(
      'td',
      { class: 'what' },
      h('span', { class: 'title' }, badge(ticket.severity), ' ', displayTitle(ticket)),
      h('span', { class: 'message small muted' }, displayMessage(ticket)),
      h(
        'span',
        { class: 'small muted' },
        t('opened'),
        ' ',
        agoEl(ticket.openedAt, zoneOf(ticket.tenant)),
        ticket.occurrences > 1 ? ` · ${t('times', { n: ticket.occurrences })}` : '',
        ticket.assignee ? ` · ${ticket.assignee}` : '',
      ),
    ),
    h(
      'td',
      { class: 'actions' },
      h(
        'div',
        { class: 'actions-stack' },
        ticket.status === 'open' && !isClient()
          ? h(
              'button',
              {
                type: 'button',
                class: 'primary',
                'aria-label': t('acknowledgeNamed', { title: displayTitle(ticket) }),
                dataset: { action: 'acknowledge', focusKey: `ack:${ticket.id}` },
                onclick: (e: Event) => actions.acknowledge(ticket, e.currentTarget as HTMLButtonElement),
              },
              t('acknowledge'),
            )
          : null,
        h(
          'button',
          {
            type: 'button',
            'aria-label': t('openNamed', { title: displayTitle(ticket) }),
            dataset: { action: 'open', focusKey: `open:${ticket.id}` },
            onclick: () => actions.open(ticket.id),
          },
          t('open'),
        ),
      ),
    ),
  );
}

export interface QueueActions {
  acknowledge(ticket: Ticket, button: HTMLButtonElement): void;
  open(id: string): void;
}

export function renderQueue(actions: QueueActions): void {
  const rows = visibleTickets().map((x) => row(x, actions));
  fill(
    $('queue'),
    rows.length
      ? rows
      : h(
          'tr',
          {},
          h(
            'td',
            { colspan: 5, class: 'muted empty' },
            state.filters.text || filtersActive() ? t('noTicketMatches') : t('noActiveTicket'),
          ),
        ),
  );
}

export function filtersActive(): boolean {
  const f = state.filters;
  return Boolean(f.severity || f.priority || f.status || f.tenant || f.application || f.category || f.sla);
}

const FILTERS: Array<{
  key: keyof QueueFilters;
  label: 'severity' | 'priority' | 'status' | 'application' | 'category' | 'tenant';
  values: () => string[];
  text: (v: string) => string;
}> = [
  {
    key: 'severity',
    label: 'severity',
    values: () => ['critical', 'warning', 'unknown'],
    text: (v) => tv('sev', v),
  },
  { key: 'priority', label: 'priority', values: () => ['P1', 'P2', 'P3', 'P4'], text: (v) => v },
  { key: 'status', label: 'status', values: () => ACTIVE_STATUSES.split(','), text: (v) => tv('status', v) },
  {
    key: 'tenant',
    label: 'tenant',
    values: () => state.tenants.filter((x) => !x.archivedAt).map((x) => x.id),
    text: (v) => tenantLabel(v),
  },
  {
    key: 'application',
    label: 'application',
    values: () => [...new Set(state.agents.map((a) => a.application))].sort(),
    text: (v) => v,
  },
  {
    key: 'category',
    label: 'category',
    values: () => ['performance', 'backup', 'security', 'drift', 'agent', 'request'],
    text: (v) => tv('cat', v),
  },
];

/** The filter bar; `changed` refetches. */
export function renderFilters(changed: () => void): void {
  const f = state.filters;
  const selects = FILTERS.filter((x) => x.key !== 'tenant' || state.tenants.length > 1).map((x) =>
    h(
      'label',
      { class: 'inline filter' },
      t(x.label),
      h(
        'select',
        {
          id: `filter-${x.key}`,
          onchange: (e: Event) => {
            (f[x.key] as string) = (e.currentTarget as HTMLSelectElement).value;
            changed();
          },
        },
        h('option', { value: '' }, t('all')),
        x.values().map((v) => h('option', { value: v, selected: f[x.key] === v }, x.text(v))),
      ),
    ),
  );
  fill(
    $('queue-filters'),
    selects,
    h(
      'label',
      { class: 'inline filter' },
      t('search'),
      h('input', {
        id: 'queue-filter',
        type: 'search',
        placeholder: t('searchPlaceholder'),
        'aria-keyshortcuts': '/',
        value: f.text,
        oninput: (e: Event) => {
          f.text = (e.currentTarget as HTMLInputElement).value;
          changed();
        },
      }),
    ),
    filtersActive() || f.hosts
      ? h(
          'button',
          {
            type: 'button',
            class: 'link',
            id: 'clear-filters',
            onclick: () => {
              Object.assign(f, {
                severity: '',
                priority: '',
                status: '',
                tenant: '',
                application: '',
                category: '',
                sla: '',
                hosts: '',
              });
              changed();
            },
          },
          t('clearFilters'),
        )
      : null,
  );
}

/** Every second: the countdowns. */
export function tickCountdowns(): void {
  const now = Date.now();
  for (const el of document.querySelectorAll<HTMLElement>('.countdown[data-remaining]')) {
    const d = el.dataset;
    const left = Number(d.remaining) - (d.running === '1' ? now - Number(d.fetched) : 0);
    el.textContent = textOf({ left, business: d.business === '1', stoppedBy: d.stopped || null });
    el.classList.toggle('overdue', left < 0);
  }
}
