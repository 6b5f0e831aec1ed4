// The Vigie NOC page: signs in with an API key (kept in this tab's sessionStorage), shows the fleet, the
// summary tiles and the ticket queue, and refetches what changed when the live feed (GET /api/live, server-sent
// events) says so. Every text from the API goes into the DOM as text, never as HTML.
import { ApiFailure, api, q, whenUnauthorized } from './api';
import { showError } from './common';
import { $, fill, h, openDialog } from './dom';
import { renderFleet } from './fleet';
import { loadHost, onHostChanged, openHost } from './host';
import { ago, type Locale, locale, setLocale, t } from './i18n';
import type { MessageKey } from './i18n/en';
import { onPanelChanged, openHistory, openMaintenance, openRequest, openTenants } from './panels';
import { openApplication } from './parity';
import { ACTIVE_STATUSES, renderFilters, renderQueue, tickCountdowns, visibleTickets } from './queue';
import { EMPTY_FILTERS, isClient, state } from './state';
import { renderSummary } from './summary';
import { DIALOG_KEYS, dialogKey, loadTicket, onTicketChanged, openTicket } from './ticket';
import type { Agent, Me, Tenant, Ticket, Window } from './types';
import './style.css';

const AUTO_REFRESH_MS = 30_000;
let source: EventSource | undefined;
let liveRetry: ReturnType<typeof setTimeout> | undefined;
let autoTimer: ReturnType<typeof setInterval> | undefined;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<void> | undefined;
let refreshAgain = false;

let lastUpdate: Date | undefined;
function showUpdated(): void {
  if (lastUpdate)
    $('updated').textContent = t('updatedAt', {
      time: lastUpdate.toLocaleTimeString(locale() === 'fr' ? 'fr-FR' : 'en-GB'),
    });
}

const tenantParam = () => (state.tenantFilter ? state.tenantFilter : undefined);

async function signIn(key: string): Promise<void> {
  state.key = key;
  let me: Me;
  try {
    me = await api<Me>('/api/me', { login: true });
    state.tenants = await api<Tenant[]>('/api/tenants', { login: true });
  } catch (err) {
    state.key = '';
    $('login-error').textContent =
      err instanceof ApiFailure && err.status === 401
        ? t('badKey')
        : t('cannotSignIn', { reason: (err as Error).message });
    $('key').focus();
    return;
  }
  state.me = me;
  if (me.locale) applyLocale(me.locale);
  sessionStorage.setItem('vigie-key', key);
  $('login-error').textContent = '';
  ($('key') as HTMLInputElement).value = '';
  $('login-view').hidden = true;
  $('noc').hidden = false;
  $('session').hidden = false;
  document.body.classList.toggle('client', isClient());
  $('tenants').hidden = !(me.role === 'provider' && me.tenant === null);
  if (!state.tenants.some((x) => x.id === state.tenantFilter)) state.tenantFilter = '';
  renderTenantFilter();
  await refresh();
  connectLive();
  scheduleAuto();
}

function signOut(message = ''): void {
  sessionStorage.removeItem('vigie-key');
  Object.assign(state, {
    key: '',
    me: undefined,
    agents: [],
    tickets: [],
    windows: [],
    filters: { ...EMPTY_FILTERS },
  });
  source?.close();
  source = undefined;
  clearTimeout(liveRetry);
  clearInterval(autoTimer);
  for (const d of document.querySelectorAll<HTMLDialogElement>('dialog[open]')) d.close();
  for (const id of ['fleet', 'queue', 'tiles', 'queue-filters']) fill($(id));
  $('noc').hidden = true;
  $('session').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message;
  $('key').focus();
}

function renderTenantFilter(): void {
  const active = state.tenants.filter((x) => !x.archivedAt);
  const provider = active.length > 1;
  $('tenant-filter-label').hidden = !provider;
  $('scope').textContent = provider
    ? ''
    : active[0]
      ? t('tenantScope', { name: active[0].name })
      : t('noTenant');
  fill(
    $('tenant-filter'),
    h('option', { value: '' }, t('allTenants')),
    active.map((x) =>
      h('option', { value: x.id, selected: x.id === state.tenantFilter }, `${x.name} (${x.id})`),
    ),
  );
}

async function refresh(): Promise<void> {
  if (!state.key) return;
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      try {
        const [tenants, agents, tickets, windows] = await Promise.all([
          api<Tenant[]>('/api/tenants'),
          api<Agent[]>(`/api/agents${q({ tenant: tenantParam() })}`),
          api<Ticket[]>(
            `/api/tickets${q({ status: ACTIVE_STATUSES, limit: '1000', tenant: tenantParam() })}`,
          ),
          api<Window[]>(`/api/maintenance${q({ tenant: tenantParam(), active: 'true' })}`),
        ]);
        Object.assign(state, { tenants, agents, tickets, windows, fetchedAt: Date.now() });
        renderAll();
        showError('');
        lastUpdate = new Date();
        showUpdated();
      } catch (err) {
        if (!(err instanceof ApiFailure && err.status === 401))
          showError(t('cannotRefresh', { reason: (err as Error).message }));
      }
    } while (refreshAgain && state.key);
  })();
  try {
    await refreshing;
  } finally {
    refreshing = undefined;
  }
}

/** Live events come in bursts (a batch of results, several tickets): refetch once per burst. */
function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), 250);
}

function scheduleAuto(): void {
  clearInterval(autoTimer);
  if ($('auto').getAttribute('aria-pressed') === 'true') {
    autoTimer = setInterval(() => {
      void refresh();
      if (state.hostOpen) void loadHost();
    }, AUTO_REFRESH_MS);
  }
}

function setLive(name: string, text: string): void {
  const el = $('live');
  el.dataset.state = name;
  el.textContent = text;
}

function connectLive(): void {
  source?.close();
  clearTimeout(liveRetry);
  if (!state.key) return;
  const s = new EventSource(`/api/live${q({ key: state.key, tenant: tenantParam() })}`);
  source = s;
  setLive('connecting', t('connecting'));
  s.addEventListener('ready', () => {
    setLive('live', t('live'));
    scheduleRefresh();
  });
  s.addEventListener('revoked', () => {
    s.close();
    signOut(t('keyRevoked'));
  });
  s.addEventListener('message', (e) => {
    let event: { type: string; tenant: string; host?: string; ticketId?: string };
    try {
      event = JSON.parse((e as MessageEvent<string>).data) as typeof event;
    } catch (err) {
      // A frame the page does not understand: the periodic refetch still brings the news.
      console.warn('live feed: unreadable event', err);
      return;
    }
    $('live').title = t('lastEvent', { type: event.type, time: new Date().toLocaleTimeString() });
    scheduleRefresh();
    if (event.type === 'ticket' && state.ticketOpen === event.ticketId) void loadTicket();
    if (
      event.type === 'results' &&
      state.hostOpen?.host === event.host &&
      state.hostOpen?.tenant === event.tenant
    )
      void loadHost();
  });
  s.addEventListener('error', () => {
    if (s !== source) return;
    if (s.readyState === EventSource.CLOSED) {
      setLive('offline', t('liveOffline'));
      liveRetry = setTimeout(connectLive, 10_000);
    } else setLive('connecting', t('reconnecting'));
  });
}

let lastFleet = '';
let lastQueue = '';
function renderAll(force = false): void {
  const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.focusKey;
  const fleetSig = JSON.stringify([state.agents, state.windows, state.filters.hosts, locale()]);
  if (force || fleetSig !== lastFleet) {
    lastFleet = fleetSig;
    renderFleet({
      host: (tenant, host) => void openHost(tenant, host),
      parity: (tenant, application) => void openApplication(tenant, application),
    });
  }
  const queueSig = JSON.stringify([state.tickets, state.filters, state.selected, locale()]);
  if (force || queueSig !== lastQueue) {
    lastQueue = queueSig;
    renderQueue({ acknowledge: (x, b) => void quickAcknowledge(x, b), open: (id) => void openTicket(id) });
  }
  renderSummary(filtersChanged);
  if (!document.getElementById('queue-filter') || force) renderFilters(filtersChanged);
  if (focusKey && (document.activeElement as HTMLElement | null)?.dataset?.focusKey !== focusKey)
    document.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function filtersChanged(): void {
  const typing = document.activeElement?.id === 'queue-filter';
  renderAll();
  // The filter bar is rebuilt when a select or tile changes, not while someone types in the search box.
  if (!typing) renderFilters(filtersChanged);
}

async function quickAcknowledge(x: Ticket, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  button.textContent = t('acknowledging');
  try {
    await api(`/api/tickets/${encodeURIComponent(x.id)}/acknowledge`, { method: 'POST', body: {} });
    await refresh();
    const open = document.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(`open:${x.id}`)}"]`);
    if (document.activeElement === document.body || !document.activeElement) open?.focus();
  } catch (err) {
    showError(t('cannotAcknowledge', { reason: (err as Error).message }));
    button.disabled = false;
    button.textContent = t('acknowledge');
  }
}

function applyLocale(l: Locale): void {
  setLocale(l);
  const live = $('live');
  const liveText: Record<string, MessageKey> = {
    live: 'live',
    connecting: 'connecting',
    offline: 'liveOffline',
  };
  live.textContent = t(liveText[live.dataset.state ?? 'connecting'] ?? 'connecting');
  showUpdated();
  ($('locale') as HTMLSelectElement).value = l;
  renderHelp();
  if (state.key && state.me) {
    renderTenantFilter();
    renderAll(true);
  }
}

const KEYS: Array<[string, MessageKey]> = [
  ['Tab', 'keyTab'],
  ['j / k', 'keyNext'],
  ['Enter', 'keyOpen'],
  ['a', 'keyAck'],
  ['Esc', 'keyEsc'],
  ['/', 'keyFilter'],
  ['q', 'keyQueue'],
  ['h', 'keyHistory'],
  ['m', 'keyMaintenance'],
  ['n', 'keyRequest'],
  ['r', 'keyRefresh'],
  ['l', 'keyLarge'],
  ['?', 'keyHelp'],
];
const DIALOG_HELP: Record<string, MessageKey> = {
  a: 'acknowledge',
  s: 'start',
  w: 'waitForClient',
  u: 'resume',
  r: 'resolve',
  c: 'close',
  g: 'assign',
  e: 'escalate',
  m: 'comment',
};

function renderHelp(): void {
  fill(
    $('keys'),
    KEYS.map(([k, text]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, t(text))]),
    h('dt', { class: 'keys-section' }, t('inTicket')),
    h('dd', {}, ''),
    Object.keys(DIALOG_KEYS).map((k) => [
      h('dt', {}, h('kbd', {}, k)),
      h('dd', {}, t(DIALOG_HELP[k] as MessageKey)),
    ]),
  );
}

function moveSelection(step: number): void {
  const rows = visibleTickets();
  if (rows.length === 0) return;
  const i = rows.findIndex((x) => x.id === state.selected);
  const next = rows[Math.max(0, Math.min(rows.length - 1, i < 0 ? 0 : i + step))];
  state.selected = next?.id;
  renderAll();
  const row = document.querySelector<HTMLElement>(
    `tr.ticket[data-ticket-id="${CSS.escape(state.selected ?? '')}"]`,
  );
  row?.scrollIntoView({ block: 'nearest' });
  row?.querySelector<HTMLElement>('button[data-action="open"]')?.focus();
}

function setLargeType(on: boolean): void {
  document.documentElement.classList.toggle('large', on);
  $('large').setAttribute('aria-pressed', on ? 'true' : 'false');
  localStorage.setItem('vigie-large', on ? '1' : '0');
}

function init(): void {
  setLocale(locale());
  ($('locale') as HTMLSelectElement).value = locale();
  renderHelp();
  whenUnauthorized(() => signOut(t('keyRefused')));
  const params = new URLSearchParams(location.search);
  setLargeType(params.get('large') === '1' || localStorage.getItem('vigie-large') === '1');
  if (params.get('auto') === '0' || localStorage.getItem('vigie-auto') === '0')
    $('auto').setAttribute('aria-pressed', 'false');
  onTicketChanged(refresh);
  onHostChanged(refresh);
  onPanelChanged(refresh);
  document.addEventListener('vigie:open-ticket', (e) => void openTicket((e as CustomEvent<string>).detail));

  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = ($('key') as HTMLInputElement).value.trim();
    if (key) void signIn(key);
  });
  $('logout').addEventListener('click', () => signOut());
  $('refresh').addEventListener('click', () => {
    void refresh();
    if (state.hostOpen) void loadHost();
  });
  $('large').addEventListener('click', () =>
    setLargeType(!document.documentElement.classList.contains('large')),
  );
  $('auto').addEventListener('click', () => {
    const on = $('auto').getAttribute('aria-pressed') !== 'true';
    $('auto').setAttribute('aria-pressed', on ? 'true' : 'false');
    localStorage.setItem('vigie-auto', on ? '1' : '0');
    scheduleAuto();
  });
  $('help').addEventListener('click', () => openDialog($('help-dialog') as HTMLDialogElement));
  $('history').addEventListener('click', () => void openHistory());
  $('maintenance').addEventListener('click', () => void openMaintenance());
  $('tenants').addEventListener('click', () => void openTenants());
  $('request').addEventListener('click', () => openRequest());
  $('locale').addEventListener('change', async (e) => {
    const l = (e.currentTarget as HTMLSelectElement).value as Locale;
    applyLocale(l);
    if (state.key)
      await api('/api/me', { method: 'PUT', body: { locale: l } }).catch((err: Error) =>
        showError(err.message),
      );
  });
  $('tenant-filter').addEventListener('change', (e) => {
    state.tenantFilter = (e.currentTarget as HTMLSelectElement).value;
    sessionStorage.setItem('vigie-tenant', state.tenantFilter);
    void refresh();
    connectLive();
  });

  for (const dialog of document.querySelectorAll<HTMLDialogElement>('dialog')) {
    dialog.addEventListener('close', () => {
      if (dialog.id === 'ticket-dialog') state.ticketOpen = undefined;
      if (dialog.id === 'host-dialog') state.hostOpen = undefined;
      if (dialog.id === 'app-dialog') state.appOpen = undefined;
      const d = dialog as HTMLDialogElement & { returnFocus?: HTMLElement | null };
      const back = d.returnFocus;
      d.returnFocus = undefined;
      if (back?.isConnected) back.focus();
      else if (back?.dataset?.focusKey)
        document
          .querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(back.dataset.focusKey)}"]`)
          ?.focus();
    });
    dialog.addEventListener('click', (e) => {
      if (e.target === dialog) dialog.close();
    });
    for (const b of dialog.querySelectorAll('[data-close]'))
      b.addEventListener('click', () => dialog.close());
  }

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || !state.key) return;
    const target = e.target as HTMLElement;
    if (target.closest?.('input, textarea, select')) return;
    const open = document.querySelector<HTMLDialogElement>('dialog[open]');
    if (open) {
      if (open.id === 'ticket-dialog' && dialogKey(e.key)) e.preventDefault();
      return;
    }
    const selected = state.tickets.find((x) => x.id === state.selected);
    if (e.key === 'r') void refresh();
    else if (e.key === 'l') setLargeType(!document.documentElement.classList.contains('large'));
    else if (e.key === '?') openDialog($('help-dialog') as HTMLDialogElement);
    else if (e.key === 'q') $('queue-panel').focus();
    else if (e.key === 'h') void openHistory();
    else if (e.key === 'm') void openMaintenance();
    else if (e.key === 'n') openRequest();
    else if (e.key === 'j') moveSelection(1);
    else if (e.key === 'k') moveSelection(-1);
    else if (e.key === 'Enter' && selected && !target.closest('button, a')) void openTicket(selected.id);
    else if (e.key === 'a' && selected && selected.status === 'open' && !isClient()) {
      const b = document.querySelector<HTMLButtonElement>(
        `[data-focus-key="${CSS.escape(`ack:${selected.id}`)}"]`,
      );
      if (b) void quickAcknowledge(selected, b);
    } else if (e.key === '/') document.getElementById('queue-filter')?.focus();
    else return;
    e.preventDefault();
  });

  setInterval(() => {
    tickCountdowns();
    for (const el of document.querySelectorAll<HTMLElement>('[data-ago]'))
      el.textContent = ago(el.dataset.ago ?? '');
  }, 1000);
  if (state.key) void signIn(state.key);
  else $('key').focus();
}

init();
