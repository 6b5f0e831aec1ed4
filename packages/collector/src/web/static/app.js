// The Vigie NOC page: fleet at a glance, the ticket queue with live SLA countdowns and actions, host detail
// with metric charts, application parity. It reads the REST API with the operator's API key (kept in this
// tab's sessionStorage) and refetches what changed when the live feed (GET /api/live, server-sent events)
// says so. Every text from the API goes into the DOM through textContent or attributes, never as HTML.

const KEY_STORAGE = 'vigie-key';
const SILENT_AFTER_MS = 2 * 60_000;
const AUTO_REFRESH_MS = 30_000;
const ACTIVE_STATUSES = 'open,acknowledged,in_progress,waiting';
const RANK = { none: -1, ok: 0, unknown: 1, warning: 2, critical: 3 };
const SUPPORT_LEVELS = ['N1', 'N2', 'N3'];

const state = {
  key: sessionStorage.getItem(KEY_STORAGE) ?? '',
  tenantFilter: sessionStorage.getItem('vigie-tenant') ?? '',
  tenants: [],
  agents: [],
  tickets: [],
  queueFilter: '',
  source: undefined,
  liveRetry: undefined,
  autoTimer: undefined,
  refreshTimer: undefined,
  refreshing: undefined,
  refreshAgain: false,
  lastFleet: '',
  lastQueue: '',
  ticketOpen: undefined,
  hostOpen: undefined,
  appOpen: undefined,
};

// ---------------------------------------------------------------------------------------------------------
// DOM helpers: elements are built, never parsed from strings.

const $ = (id) => document.getElementById(id);

/** `h('td', { class: 'x', 'aria-label': '…', dataset: { id } }, child, 'text', …)`; text children are text nodes. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'onclick') el.addEventListener('click', value);
    else if (name === 'onsubmit') el.addEventListener('submit', value);
    else if (name === 'text') el.textContent = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  return el;
}

function badge(status) {
  const s = status in RANK ? status : 'unknown';
  return h('span', { class: `badge st-${s}` }, status === 'none' ? 'no checks' : status);
}

// ---------------------------------------------------------------------------------------------------------
// Time

function formatSpan(ms) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  const hh = Math.floor((s % 86_400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${two(hh)}h ${two(mm)}m`;
  if (hh > 0) return `${hh}h ${two(mm)}m ${two(ss)}s`;
  return `${mm}m ${two(ss)}s`;
}

function ago(iso) {
  const ms = Date.now() - Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

const localTime = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** A "x min ago" text that the 1 s tick keeps current. */
function agoEl(iso, cls) {
  return h('time', { class: cls, datetime: iso, title: localTime(iso), dataset: { ago: iso } }, ago(iso));
}

// ---------------------------------------------------------------------------------------------------------
// API

class ApiFailure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = { authorization: `Bearer ${state.key}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    cache: 'no-store',
  });
  const body = await r.json().catch(() => undefined);
  if (r.status === 401 && !options.login) {
    signOut('The API key was refused (unknown or revoked). Sign in again.');
    throw new ApiFailure(401, 'signed out');
  }
  if (!r.ok) throw new ApiFailure(r.status, body?.message ?? `HTTP ${r.status}`);
  return body;
}

const tenantQuery = (prefix) =>
  state.tenantFilter ? `${prefix}tenant=${encodeURIComponent(state.tenantFilter)}` : '';

// ---------------------------------------------------------------------------------------------------------
// Sign in / out

function showError(message) {
  const el = $('error');
  el.textContent = message ?? '';
  el.hidden = !message;
}

async function signIn(key) {
  state.key = key;
  try {
    state.tenants = await api('/api/tenants', { login: true });
  } catch (err) {
    state.key = '';
    $('login-error').textContent =
      err.status === 401 ? 'Unknown or revoked API key.' : `Cannot sign in: ${err.message}`;
    $('key').focus();
    return;
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  $('login-error').textContent = '';
  $('key').value = '';
  $('login-view').hidden = true;
  $('noc').hidden = false;
  $('session').hidden = false;
  if (!state.tenants.some((t) => t.id === state.tenantFilter)) state.tenantFilter = '';
  renderTenantFilter();
  state.lastFleet = '';
  state.lastQueue = '';
  await refresh();
  connectLive();
  scheduleAuto();
}

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  state.key = '';
  state.agents = [];
  state.tickets = [];
  state.source?.close();
  state.source = undefined;
  clearTimeout(state.liveRetry);
  clearInterval(state.autoTimer);
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  $('fleet').replaceChildren();
  $('queue').replaceChildren();
  $('summary').replaceChildren();
  $('noc').hidden = true;
  $('session').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message ?? '';
  $('key').focus();
}

function renderTenantFilter() {
  const select = $('tenant-filter');
  const provider = state.tenants.length > 1;
  $('tenant-filter-label').hidden = !provider;
  $('scope').textContent = provider ? '' : state.tenants[0] ? `tenant ${state.tenants[0].name}` : 'no tenant';
  select.replaceChildren(
    h('option', { value: '' }, 'All tenants'),
    ...state.tenants.map((t) =>
      h('option', { value: t.id, selected: t.id === state.tenantFilter }, `${t.name} (${t.id})`),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Refresh: one at a time; a request during a refresh runs once more after it.

async function refresh() {
  if (!state.key) return;
  if (state.refreshing) {
    state.refreshAgain = true;
    return state.refreshing;
  }
  state.refreshing = (async () => {
    do {
      state.refreshAgain = false;
      try {
        const [agents, tickets] = await Promise.all([
          api(`/api/agents${tenantQuery('?')}`),
          api(`/api/tickets?status=${ACTIVE_STATUSES}&limit=1000${tenantQuery('&')}`),
        ]);
        state.agents = agents;
        state.tickets = tickets;
        renderAll();
        showError('');
        $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
      } catch (err) {
        if (err.status !== 401) showError(`Cannot refresh: ${err.message}`);
      }
    } while (state.refreshAgain && state.key);
  })();
  try {
    await state.refreshing;
  } finally {
    state.refreshing = undefined;
  }
}

/** Live events come in bursts (a batch of results, several tickets): refetch once per burst. */
function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => {
    refresh();
  }, 250);
}

function scheduleAuto() {
  clearInterval(state.autoTimer);
  if ($('auto').getAttribute('aria-pressed') === 'true') {
    state.autoTimer = setInterval(() => {
      refresh();
      if (state.hostOpen) loadHost();
    }, AUTO_REFRESH_MS);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Live feed

function setLive(stateName, text) {
  const el = $('live');
  el.dataset.state = stateName;
  el.textContent = text;
}

function connectLive() {
  state.source?.close();
  clearTimeout(state.liveRetry);
  if (!state.key) return;
  const url = `/api/live?key=${encodeURIComponent(state.key)}${tenantQuery('&')}`;
  const source = new EventSource(url);
  state.source = source;
  setLive('connecting', 'connecting…');
  source.addEventListener('ready', () => {
    setLive('live', 'live');
    // Whatever changed while the stream was down.
    scheduleRefresh();
  });
  source.addEventListener('revoked', () => {
    source.close();
    signOut('The API key was revoked. Sign in again.');
  });
  source.addEventListener('message', (e) => {
    let event;
    try {
      event = JSON.parse(e.data);
    } catch {
      return;
    }
    onLiveEvent(event);
  });
  source.addEventListener('error', () => {
    if (source !== state.source) return;
    if (source.readyState === EventSource.CLOSED) {
      // Refused (a bad key, the collector restarting): try again in a while; refetches still run.
      setLive('offline', 'live feed offline');
      state.liveRetry = setTimeout(connectLive, 10_000);
    } else setLive('connecting', 'reconnecting…');
  });
}

function onLiveEvent(event) {
  $('live').title =
    `last event: ${event.type} ${event.host ?? event.ticketId ?? ''} at ${new Date().toLocaleTimeString()}`;
  scheduleRefresh();
  if (event.type === 'ticket' && state.ticketOpen === event.ticketId) loadTicket();
  if (
    event.type === 'results' &&
    state.hostOpen &&
    state.hostOpen.host === event.host &&
    state.hostOpen.tenant === event.tenant
  )
    loadHost();
}

// ---------------------------------------------------------------------------------------------------------
// Rendering: the fleet, the summary and the queue. A re-render keeps the focused control focused.

function renderAll() {
  const focusKey = document.activeElement?.dataset?.focusKey;
  const fleetSig = JSON.stringify(state.agents);
  if (fleetSig !== state.lastFleet) {
    state.lastFleet = fleetSig;
    renderFleet();
  }
  const queueSig = JSON.stringify([state.tickets, state.queueFilter]);
  if (queueSig !== state.lastQueue) {
    state.lastQueue = queueSig;
    renderQueue();
  }
  renderSummary();
  if (focusKey && document.activeElement?.dataset?.focusKey !== focusKey) {
    const again = document.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
    again?.focus();
  }
}

function worstOf(statuses) {
  let worst = 'none';
  for (const s of statuses) if ((RANK[s] ?? RANK.unknown) > RANK[worst]) worst = s in RANK ? s : 'unknown';
  return worst;
}

function isSilent(agent) {
  return !agent.connected || Date.now() - Date.parse(agent.lastSeen) > SILENT_AFTER_MS;
}

function latest(isoList) {
  return isoList.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}

function groupBy(items, keyOf) {
  const groups = new Map();
  for (const item of items) {
    const k = keyOf(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(item);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

const ENV_ORDER = { production: 0, 'iso-production': 1, staging: 2 };

function groupFacts(agents) {
  const worst = worstOf(agents.map((a) => worstOf(a.checks.map((c) => c.status))));
  const silent = agents.filter(isSilent).length;
  return { worst, silent, lastSeen: latest(agents.map((a) => a.lastSeen)) };
}

function groupLine(level, name, agents, extra) {
  const f = groupFacts(agents);
  return h(
    'div',
    { class: `group-line ${level}` },
    h(level === 'tenant' ? 'h3' : 'h4', { class: 'group-name' }, name),
    badge(f.worst),
    f.silent > 0 ? h('span', { class: 'silent-count' }, `${f.silent} silent`) : null,
    h('span', { class: 'muted small' }, `${agents.length} host${agents.length > 1 ? 's' : ''} · seen `),
    agoEl(f.lastSeen, 'muted small'),
    extra,
  );
}

function hostTile(agent) {
  const worst = worstOf(agent.checks.map((c) => c.status));
  const silent = isSilent(agent);
  const why = !agent.connected ? 'disconnected' : 'no report for over 2 min';
  const label =
    `Host ${agent.host}: ${worst === 'none' ? 'no checks' : worst}, last seen ${ago(agent.lastSeen)}` +
    (silent ? `, silent (${why})` : '');
  return h(
    'li',
    {},
    h(
      'button',
      {
        type: 'button',
        class: `host-tile st-border-${worst}${silent ? ' silent' : ''}`,
        'aria-label': label,
        dataset: { host: agent.host, tenant: agent.tenant, focusKey: `host:${agent.tenant}/${agent.host}` },
        onclick: () => openHost(agent.tenant, agent.host),
      },
      h('span', { class: 'host-name' }, agent.host),
      h('span', { class: 'host-facts' }, badge(worst), agoEl(agent.lastSeen, 'small')),
      silent ? h('span', { class: 'silent-tag', title: why }, `SILENT · ${why}`) : null,
    ),
  );
}

function renderFleet() {
  const root = $('fleet');
  if (state.agents.length === 0) {
    root.replaceChildren(h('p', { class: 'muted empty' }, 'No agent has reported yet.'));
    return;
  }
  const tenantName = new Map(state.tenants.map((t) => [t.id, t.name]));
  root.replaceChildren(
    ...groupBy(state.agents, (a) => a.tenant).map(([tenant, agents]) =>
      h(
        'section',
        { class: 'tenant', 'aria-label': `Tenant ${tenantName.get(tenant) ?? tenant}` },
        groupLine('tenant', tenantName.get(tenant) ?? tenant, agents),
        ...groupBy(agents, (a) => a.application).map(([application, appAgents]) =>
          h(
            'div',
            { class: 'application' },
            groupLine(
              'application',
              application || '(no application)',
              appAgents,
              h(
                'button',
                {
                  type: 'button',
                  class: 'link small',
                  'aria-label': `Parity report of ${application} (${tenant})`,
                  dataset: { focusKey: `parity:${tenant}/${application}` },
                  onclick: () => openApplication(tenant, application),
                },
                'parity',
              ),
            ),
            ...groupBy(appAgents, (a) => a.environment)
              .sort(([a], [b]) => (ENV_ORDER[a] ?? 9) - (ENV_ORDER[b] ?? 9) || a.localeCompare(b))
              .map(([environment, envAgents]) =>
                h(
                  'div',
                  { class: 'environment' },
                  h(
                    'div',
                    { class: 'env-name' },
                    h('span', {}, environment),
                    badge(groupFacts(envAgents).worst),
                  ),
                  h(
                    'ul',
                    { class: 'hosts', 'aria-label': `${application} ${environment} hosts` },
                    envAgents.sort((a, b) => a.host.localeCompare(b.host)).map(hostTile),
                  ),
                ),
              ),
          ),
        ),
      ),
    ),
  );
}

function dueOf(t) {
  const phase = t.acknowledgedAt ? 'resolution' : 'response';
  const iso = phase === 'response' ? t.responseDueAt : t.resolutionDueAt;
  return { phase, iso, ms: iso ? Date.parse(iso) : Number.POSITIVE_INFINITY };
}

function slaState(t, now = Date.now()) {
  const due = dueOf(t);
  const breached =
    t.sla.responseBreached ||
    t.sla.resolutionBreached ||
    (t.status !== 'waiting' && Number.isFinite(due.ms) && due.ms < now);
  const atRisk = !breached && (due.phase === 'response' ? t.sla.responseAtRisk : t.sla.resolutionAtRisk);
  return { breached, atRisk };
}

const PRIORITY_ORDER = { P1: 1, P2: 2, P3: 3, P4: 4 };

function sortedTickets() {
  const q = state.queueFilter.trim().toLowerCase();
  const visible = q
    ? state.tickets.filter((t) =>
        [t.host, t.tenant, t.application, t.environment, t.checkId, t.title, t.message, t.priority]
          .join(' ')
          .toLowerCase()
          .includes(q),
      )
    : state.tickets;
  return [...visible].sort(
    (a, b) =>
      dueOf(a).ms - dueOf(b).ms ||
      (PRIORITY_ORDER[a.priority] ?? 9) - (PRIORITY_ORDER[b.priority] ?? 9) ||
      a.openedAt.localeCompare(b.openedAt),
  );
}

function countdownEl(t) {
  const due = dueOf(t);
  if (!due.iso) return h('span', { class: 'countdown muted' }, 'no target');
  return h(
    'span',
    { class: 'countdown', dataset: { due: due.iso, waiting: t.status === 'waiting' ? '1' : undefined } },
    countdownText(due.ms, t.status === 'waiting'),
  );
}

function countdownText(dueMs, waiting) {
  const left = dueMs - Date.now();
  if (waiting) return `paused · ${formatSpan(left)}`;
  return left >= 0 ? formatSpan(left) : `−${formatSpan(left)}`;
}

function slaTags(t) {
  const tags = [];
  if (t.sla.responseBreached) tags.push(['breached', 'response breached']);
  if (t.sla.resolutionBreached) tags.push(['breached', 'resolution breached']);
  if (t.sla.responseAtRisk && !t.sla.responseBreached) tags.push(['at-risk', 'response at risk']);
  if (t.sla.resolutionAtRisk && !t.sla.resolutionBreached) tags.push(['at-risk', 'resolution at risk']);
  return tags.map(([cls, text]) => h('span', { class: `tag ${cls}` }, text));
}

const STATUS_TEXT = { in_progress: 'in progress', waiting: 'waiting (client)' };

function ticketRow(t) {
  const sla = slaState(t);
  const due = dueOf(t);
  const what = t.title.includes(t.host) ? t.title : `${t.title} on ${t.host}`;
  return h(
    'tr',
    {
      class: `ticket${sla.breached ? ' breached' : sla.atRisk ? ' at-risk' : ''}`,
      dataset: { ticketId: t.id, host: t.host, tenant: t.tenant },
    },
    h(
      'td',
      { class: 'due' },
      countdownEl(t),
      h('span', { class: 'due-kind small muted' }, `${due.phase} due`),
      sla.breached && !slaTags(t).length ? h('span', { class: 'tag breached' }, 'overdue') : null,
      slaTags(t),
    ),
    h(
      'td',
      { class: 'prio' },
      h('span', { class: `prio-badge prio-${t.priority}` }, t.priority),
      h('span', { class: 'level', title: 'support level' }, t.supportLevel),
      h('span', { class: `tstatus ts-${t.status}` }, STATUS_TEXT[t.status] ?? t.status),
    ),
    h(
      'td',
      { class: 'where' },
      h('span', { class: 'host' }, t.host),
      h('span', { class: 'small muted' }, [t.application, t.environment].filter(Boolean).join(' · ')),
      h('span', { class: 'small muted' }, tenantLabel(t.tenant)),
    ),
    h(
      'td',
      { class: 'what' },
      h('span', { class: 'title' }, badge(t.severity), ' ', t.title),
      h('span', { class: 'message small muted' }, t.message),
      h(
        'span',
        { class: 'small muted' },
        `opened `,
        agoEl(t.openedAt),
        t.occurrences > 1 ? ` · ${t.occurrences}×` : '',
        t.assignee ? ` · ${t.assignee}` : '',
      ),
    ),
    h(
      'td',
      { class: 'actions' },
      h(
        'div',
        { class: 'actions-stack' },
        t.status === 'open'
          ? h(
              'button',
              {
                type: 'button',
                class: 'primary',
                'aria-label': `Acknowledge ${what}`,
                dataset: { action: 'acknowledge', focusKey: `ack:${t.id}` },
                onclick: (e) => quickAcknowledge(t, e.currentTarget),
              },
              'Acknowledge',
            )
          : null,
        h(
          'button',
          {
            type: 'button',
            'aria-label': `Open ${what}`,
            dataset: { action: 'open', focusKey: `open:${t.id}` },
            onclick: () => openTicket(t.id),
          },
          'Open',
        ),
      ),
    ),
  );
}

function tenantLabel(id) {
  const t = state.tenants.find((x) => x.id === id);
  return t ? t.name : id;
}

function renderQueue() {
  const rows = sortedTickets().map(ticketRow);
  $('queue').replaceChildren(
    ...(rows.length
      ? rows
      : [
          h(
            'tr',
            {},
            h(
              'td',
              { colspan: 5, class: 'muted empty' },
              state.queueFilter ? 'No ticket matches the filter.' : 'No active ticket.',
            ),
          ),
        ]),
  );
}

function renderSummary() {
  const hosts = state.agents.length;
  const silent = state.agents.filter(isSilent).length;
  const worst = state.agents.map((a) => worstOf(a.checks.map((c) => c.status)));
  const crit = worst.filter((s) => s === 'critical').length;
  const warn = worst.filter((s) => s === 'warning').length;
  const sla = state.tickets.map((t) => slaState(t));
  const breached = sla.filter((s) => s.breached).length;
  const atRisk = sla.filter((s) => s.atRisk).length;
  const p1 = state.tickets.filter((t) => t.priority === 'P1').length;
  const tile = (label, value, cls) =>
    h(
      'div',
      { class: `stat${value > 0 && cls ? ` ${cls}` : ''}` },
      h('span', { class: 'stat-value' }, String(value)),
      h('span', { class: 'stat-label' }, label),
    );
  $('summary').replaceChildren(
    tile('hosts', hosts),
    tile('silent', silent, 'bad'),
    tile('critical hosts', crit, 'bad'),
    tile('warning hosts', warn, 'warn'),
    tile('active tickets', state.tickets.length),
    tile('P1', p1, 'bad'),
    tile('SLA breached', breached, 'bad'),
    tile('SLA at risk', atRisk, 'warn'),
  );
}

/** Every second: the countdowns, the "ago" texts, and rows crossing their due time. */
function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll('.countdown[data-due]')) {
    const due = Date.parse(el.dataset.due);
    el.textContent = countdownText(due, el.dataset.waiting === '1');
    el.classList.toggle('overdue', due < now && el.dataset.waiting !== '1');
    const row = el.closest('tr.ticket');
    if (row && due < now && el.dataset.waiting !== '1' && !row.classList.contains('breached')) {
      row.classList.remove('at-risk');
      row.classList.add('breached');
    }
  }
  for (const el of document.querySelectorAll('[data-ago]')) el.textContent = ago(el.dataset.ago);
}

// ---------------------------------------------------------------------------------------------------------
// Ticket actions and the ticket dialog

async function quickAcknowledge(t, button) {
  button.disabled = true;
  button.textContent = 'Acknowledging…';
  try {
    await api(`/api/tickets/${encodeURIComponent(t.id)}/acknowledge`, { method: 'POST', body: {} });
    await refresh();
    // The row's button is gone (the ticket is acknowledged): keep the keyboard in the row.
    const open = document.querySelector(`[data-focus-key="${CSS.escape(`open:${t.id}`)}"]`);
    if (document.activeElement === document.body || !document.activeElement) open?.focus();
  } catch (err) {
    showError(`Cannot acknowledge ${t.title}: ${err.message}`);
    button.disabled = false;
    button.textContent = 'Acknowledge';
  }
}

function openDialog(dialog) {
  if (!dialog.open) {
    dialog.returnFocus = document.activeElement;
    dialog.showModal();
  }
}

async function openTicket(id) {
  state.ticketOpen = id;
  $('ticket-title').textContent = 'Ticket';
  $('ticket-body').replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  openDialog($('ticket-dialog'));
  await loadTicket(true);
}

async function loadTicket(focusFirst) {
  const id = state.ticketOpen;
  if (!id) return;
  let t;
  try {
    t = await api(`/api/tickets/${encodeURIComponent(id)}`);
  } catch (err) {
    if (state.ticketOpen === id)
      $('ticket-body').replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message));
    return;
  }
  if (state.ticketOpen !== id) return;
  const body = $('ticket-body');
  // Keep what the operator is typing across live refreshes.
  const typed = {};
  // (Choices are not restored: the options may have changed, e.g. the next support level.)
  for (const el of body.querySelectorAll('textarea, input')) typed[el.id] = el.value;
  const focusedId = document.activeElement?.id;
  const statusText = $('ticket-action-status')?.textContent ?? '';
  renderTicket(t);
  for (const [elId, value] of Object.entries(typed)) {
    const el = document.getElementById(elId);
    if (el) el.value = value;
  }
  $('ticket-action-status').textContent = statusText;
  if (focusedId && document.getElementById(focusedId)) document.getElementById(focusedId).focus();
  else if (focusFirst) body.querySelector('button, textarea, input, select')?.focus();
}

function renderTicket(t) {
  $('ticket-title').textContent = t.title;
  const sla = slaState(t);
  const active = ['open', 'acknowledged', 'in_progress', 'waiting'].includes(t.status);
  const facts = h(
    'dl',
    { class: 'facts' },
    fact('Priority', h('span', { class: `prio-badge prio-${t.priority}` }, t.priority)),
    fact('Support level', t.supportLevel),
    fact('Status', STATUS_TEXT[t.status] ?? t.status),
    fact('Severity', badge(t.severity)),
    fact('Tenant', tenantLabel(t.tenant)),
    fact('Host', t.host),
    fact('Application', `${t.application || '—'} · ${t.environment || '—'}`),
    fact('Check', `${t.checkId} (${t.kind})`),
    fact('Opened', localTime(t.openedAt)),
    fact('Occurrences', String(t.occurrences)),
    fact('Assignee', t.assignee ?? '—'),
    fact(
      'Response due',
      t.responseDueAt ? localTime(t.responseDueAt) : '—',
      t.acknowledgedAt ? ` · acknowledged ${localTime(t.acknowledgedAt)}` : '',
    ),
    fact('Resolution due', t.resolutionDueAt ? localTime(t.resolutionDueAt) : '—'),
    fact(
      'SLA',
      active ? countdownEl(t) : '—',
      ' ',
      slaTags(t),
      sla.breached && !slaTags(t).length ? h('span', { class: 'tag breached' }, 'overdue') : null,
    ),
  );
  const status = h('p', { id: 'ticket-action-status', class: 'action-status', role: 'status' });
  const actions = active
    ? ticketActions(t, status)
    : [h('p', { class: 'muted' }, `This ticket is ${t.status}.`)];
  $('ticket-body').replaceChildren(
    facts,
    h('p', { class: 'ticket-message' }, t.message),
    h('h3', {}, 'Actions'),
    ...actions,
    status,
    h('h3', {}, 'Timeline'),
    timeline(t.timeline),
  );
}

function fact(name, ...value) {
  return h('div', { class: 'fact' }, h('dt', {}, name), h('dd', {}, ...value));
}

function ticketActions(t, status) {
  const run = async (path, body, label, form) => {
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    status.textContent = `${label}…`;
    status.classList.remove('error');
    try {
      await api(`/api/tickets/${encodeURIComponent(t.id)}/${path}`, { method: 'POST', body });
      form.reset();
      status.textContent = `${label}: done.`;
      await Promise.all([loadTicket(), refresh()]);
      $('ticket-action-status').textContent = `${label}: done.`;
    } catch (err) {
      status.textContent = `${label} failed: ${err.message}`;
      status.classList.add('error');
      for (const b of form.querySelectorAll('button')) b.disabled = false;
    }
  };
  const level = SUPPORT_LEVELS.indexOf(t.supportLevel);
  const higher = SUPPORT_LEVELS.slice(level + 1);
  const forms = [];
  if (t.status === 'open') {
    forms.push(
      h(
        'form',
        {
          class: 'action',
          onsubmit: (e) => {
            e.preventDefault();
            const comment = $('ack-comment').value.trim();
            run('acknowledge', comment ? { comment } : {}, 'Acknowledge', e.currentTarget);
          },
        },
        h('label', { for: 'ack-comment' }, 'Acknowledge with a note (optional)'),
        h('input', { id: 'ack-comment', type: 'text', maxlength: 5000 }),
        h('button', { type: 'submit', class: 'primary' }, 'Acknowledge'),
      ),
    );
  }
  forms.push(
    h(
      'form',
      {
        class: 'action',
        onsubmit: (e) => {
          e.preventDefault();
          const text = $('comment-text').value.trim();
          if (!text) {
            status.textContent = 'Write a comment first.';
            $('comment-text').focus();
            return;
          }
          run('comments', { text }, 'Comment', e.currentTarget);
        },
      },
      h('label', { for: 'comment-text' }, 'Comment'),
      h('textarea', { id: 'comment-text', rows: 2, maxlength: 5000 }),
      h('button', { type: 'submit' }, 'Add comment'),
    ),
  );
  // Régie: time spent on the ticket (POST /api/tickets/:id/worklogs; a provider key only).
  forms.push(
    h(
      'form',
      {
        class: 'action',
        onsubmit: (e) => {
          e.preventDefault();
          const minutes = Number($('worklog-minutes').value);
          const description = $('worklog-what').value.trim();
          if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440 || !description) {
            status.textContent = 'Give the minutes spent (1 to 1440) and the work done.';
            $('worklog-minutes').focus();
            return;
          }
          run('worklogs', { minutes, description }, 'Log time', e.currentTarget);
        },
      },
      h('label', { for: 'worklog-minutes' }, 'Time spent (minutes)'),
      h('input', { id: 'worklog-minutes', type: 'number', min: 1, max: 1440, step: 1 }),
      h('label', { for: 'worklog-what' }, 'Work done'),
      h('input', { id: 'worklog-what', type: 'text', maxlength: 5000 }),
      h('button', { type: 'submit' }, 'Log time'),
    ),
  );
  if (higher.length > 0) {
    forms.push(
      h(
        'form',
        {
          class: 'action',
          onsubmit: (e) => {
            e.preventDefault();
            const reason = $('escalate-reason').value.trim();
            if (!reason) {
              status.textContent = 'Give a reason to escalate.';
              $('escalate-reason').focus();
              return;
            }
            run('escalate', { level: $('escalate-level').value, reason }, 'Escalate', e.currentTarget);
          },
        },
        h('label', { for: 'escalate-reason' }, 'Escalate: reason'),
        h('input', { id: 'escalate-reason', type: 'text', maxlength: 2000 }),
        h('label', { for: 'escalate-level', class: 'visually-hidden' }, 'to support level'),
        h('select', { id: 'escalate-level' }, ...higher.map((l) => h('option', { value: l }, `to ${l}`))),
        h('button', { type: 'submit' }, 'Escalate'),
      ),
    );
  }
  forms.push(
    h(
      'form',
      {
        class: 'action',
        onsubmit: (e) => {
          e.preventDefault();
          const comment = $('resolve-comment').value.trim();
          run('resolve', comment ? { comment } : {}, 'Resolve', e.currentTarget);
        },
      },
      h('label', { for: 'resolve-comment' }, 'Resolve with a note (optional)'),
      h('input', { id: 'resolve-comment', type: 'text', maxlength: 5000 }),
      h('button', { type: 'submit' }, 'Resolve'),
    ),
  );
  return forms;
}

const EVENT_TEXT = {
  opened: 'opened',
  acknowledged: 'acknowledged',
  assigned: 'assigned',
  comment: 'comment',
  waiting_for_client: 'waiting for the client',
  resumed: 'resumed',
  escalated: 'escalated',
  resolved: 'resolved',
  closed: 'closed',
  work_logged: 'time logged',
  beyond_contract: 'beyond contract',
  out_of_scope: 'out of scope',
  contract_decision: 'contract decision',
};

/** Bookkeeping the timeline does not show (ids, rule internals, due times shown above). */
const HIDDEN_DETAILS = new Set([
  'resultId',
  'workLog',
  'rules',
  'findings',
  'checkType',
  'responseDue',
  'resolutionDue',
]);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function detailsText(details) {
  if (details === null || details === undefined) return '';
  if (typeof details !== 'object') return String(details);
  return Object.entries(details)
    .filter(([k, v]) => !HIDDEN_DETAILS.has(k) && v !== null && v !== undefined && v !== '')
    .filter(([, v]) => typeof v !== 'object' || Object.keys(v).length > 0)
    .map(([k, v]) => {
      if (typeof v === 'object') return `${k}: ${JSON.stringify(v)}`;
      if (typeof v === 'string' && ISO_TIME.test(v)) return `${k}: ${shortTime(v)}`;
      return `${k}: ${String(v)}`;
    })
    .join(' · ');
}

function shortTime(iso) {
  return new Date(iso).toLocaleString([], {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

function timeline(events) {
  if (!events?.length) return h('p', { class: 'muted' }, 'No event yet.');
  return h(
    'ol',
    { class: 'timeline' },
    ...events.map((e) =>
      h(
        'li',
        {},
        h('time', { datetime: e.at, title: localTime(e.at) }, shortTime(e.at)),
        h('span', { class: 'ev-kind' }, EVENT_TEXT[e.kind] ?? e.kind.replaceAll('_', ' ')),
        h('span', { class: 'ev-actor muted' }, e.actor),
        h('span', { class: 'ev-details' }, detailsText(e.details)),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Host detail: checks with their last results, charts of recent metrics

async function openHost(tenant, host) {
  state.hostOpen = { tenant, host };
  $('host-title').textContent = host;
  $('host-body').replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  openDialog($('host-dialog'));
  await loadHost();
}

async function loadHost() {
  const target = state.hostOpen;
  if (!target) return;
  const since = new Date(Date.now() - Number($('host-range').value)).toISOString();
  const q = `?tenant=${encodeURIComponent(target.tenant)}&since=${encodeURIComponent(since)}`;
  const [agents, series] = await Promise.all([
    api(`/api/agents?tenant=${encodeURIComponent(target.tenant)}`).catch((err) => err),
    api(`/api/hosts/${encodeURIComponent(target.host)}/series${q}`).catch((err) => err),
  ]);
  if (state.hostOpen !== target) return;
  const agent = Array.isArray(agents) ? agents.find((a) => a.host === target.host) : undefined;
  const body = $('host-body');
  if (!agent) {
    body.replaceChildren(
      h(
        'p',
        { class: 'error' },
        agents instanceof Error ? agents.message : 'This host is not known (any more).',
      ),
    );
    return;
  }
  const silent = isSilent(agent);
  body.replaceChildren(
    h(
      'dl',
      { class: 'facts' },
      fact('Tenant', tenantLabel(agent.tenant)),
      fact('Application', agent.application || '—'),
      fact('Environment', agent.environment),
      fact('Agent', agent.version),
      fact('Connection', agent.connected ? 'connected' : h('span', { class: 'silent-tag' }, 'disconnected')),
      fact('Last seen', agoEl(agent.lastSeen), silent ? h('span', { class: 'silent-tag' }, ' SILENT') : null),
      fact('Worst status', badge(worstOf(agent.checks.map((c) => c.status)))),
    ),
    h('h3', {}, 'Checks'),
    checksTable(agent.checks),
    h('h3', {}, 'Metrics'),
    series instanceof Error ? h('p', { class: 'muted' }, `No charts: ${series.message}`) : charts(series),
  );
}

function checksTable(checks) {
  if (checks.length === 0) return h('p', { class: 'muted' }, 'No check has reported yet.');
  const sorted = [...checks].sort(
    (a, b) => (RANK[b.status] ?? 1) - (RANK[a.status] ?? 1) || a.checkId.localeCompare(b.checkId),
  );
  return h(
    'table',
    { class: 'checks' },
    h('caption', { class: 'visually-hidden' }, 'Checks of this host with their last result'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Status', 'Check', 'Category', 'Last result', 'Observed', 'Metrics'].map((c) =>
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
          h('td', {}, c.category),
          h('td', { class: 'message' }, c.message),
          h('td', {}, agoEl(c.observedAt, 'small')),
          h(
            'td',
            { class: 'small mono' },
            Object.entries(c.metrics)
              .slice(0, 8)
              .map(([k, v]) => h('span', { class: 'metric' }, `${k}=${formatNumber(v)}`)),
          ),
        ),
      ),
    ),
  );
}

function formatNumber(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 0.01)) return v.toExponential(2);
  return String(Math.round(v * 100) / 100);
}

const MAX_CHARTS = 24;

function charts(points) {
  const series = new Map();
  for (const p of points) {
    // The check's own metrics and its duration, not the collector's bookkeeping series.
    if (p.measurement === 'vigie_check' ? p.field !== 'duration_ms' : p.measurement.startsWith('vigie_'))
      continue;
    const name = `${p.check} · ${p.measurement === 'vigie_check' ? 'check' : p.measurement}.${p.field}${p.instance ? ` [${p.instance}]` : ''}`;
    if (!series.has(name)) series.set(name, []);
    series.get(name).push(p);
  }
  if (series.size === 0) return h('p', { class: 'muted' }, 'No metric in this period.');
  const entries = [...series.entries()]
    .sort(
      ([a], [b]) =>
        Number(a.includes('check.duration_ms')) - Number(b.includes('check.duration_ms')) ||
        a.localeCompare(b),
    )
    .slice(0, MAX_CHARTS);
  const grid = h(
    'div',
    { class: 'charts' },
    entries.map(([name, pts]) => lineChart(name, pts)),
  );
  return series.size > MAX_CHARTS
    ? [grid, h('p', { class: 'muted small' }, `${series.size - MAX_CHARTS} more series not drawn.`)]
    : grid;
}

function lineChart(name, pts) {
  const sorted = [...pts].sort((a, b) => a.time - b.time);
  const values = sorted.map((p) => p.value);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const t0 = sorted[0].time;
  const t1 = sorted[sorted.length - 1].time;
  const W = 300;
  const H = 80;
  const x = (t) => (t1 === t0 ? W / 2 : ((t - t0) / (t1 - t0)) * W);
  const y = (v) => (max === min ? H / 2 : H - 4 - ((v - min) / (max - min)) * (H - 8));
  const last = values[values.length - 1];
  const chart = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    preserveAspectRatio: 'none',
    class: 'chart',
    role: 'img',
    'aria-label': `${name}: last ${formatNumber(last)}, min ${formatNumber(min)}, max ${formatNumber(max)}, ${sorted.length} points`,
  });
  for (const gy of [0.25, 0.5, 0.75]) {
    chart.append(svg('line', { x1: 0, x2: W, y1: H * gy, y2: H * gy, class: 'grid' }));
  }
  if (sorted.length === 1) {
    chart.append(svg('circle', { cx: x(t0), cy: y(last), r: 3, class: 'dot' }));
  } else {
    const d = sorted
      .map((p, i) => `${i ? 'L' : 'M'}${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`)
      .join(' ');
    chart.append(svg('path', { d: `${d} L${W},${H} L0,${H} Z`, class: 'area' }));
    chart.append(svg('path', { d, class: 'line' }));
  }
  const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return h(
    'figure',
    { class: 'chart-box' },
    h(
      'figcaption',
      {},
      h('span', { class: 'chart-name' }, name),
      h('span', { class: 'chart-last' }, formatNumber(last)),
    ),
    chart,
    h(
      'div',
      { class: 'chart-axis small muted' },
      h('span', {}, time(t0)),
      h('span', {}, `min ${formatNumber(min)} · max ${formatNumber(max)}`),
      h('span', {}, time(t1)),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Application parity (production vs iso-production); the API may not serve it yet.

async function openApplication(tenant, application) {
  state.appOpen = { tenant, application };
  $('app-title').textContent = `${application} · parity`;
  $('app-body').replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  openDialog($('app-dialog'));
  let report;
  try {
    report = await api(
      `/api/applications/${encodeURIComponent(application)}/parity?tenant=${encodeURIComponent(tenant)}`,
    );
  } catch (err) {
    if (state.appOpen?.application !== application) return;
    $('app-body').replaceChildren(
      err.status === 404 || err.status === 501
        ? h('p', { class: 'empty' }, 'No parity data for this application.')
        : h('p', { class: 'error' }, `Cannot load the parity report: ${err.message}`),
    );
    return;
  }
  if (state.appOpen?.application !== application) return;
  $('app-body').replaceChildren(...parityView(report));
}

/** A generic view of the report: its scalar facts, then each list of records as a table. */
function parityView(report) {
  if (!report || typeof report !== 'object')
    return [h('p', { class: 'empty' }, 'No parity data for this application.')];
  const scalars = Object.entries(report).filter(([, v]) => v === null || typeof v !== 'object');
  const out = [];
  if (scalars.length)
    out.push(
      h(
        'dl',
        { class: 'facts' },
        scalars.map(([k, v]) => fact(k, String(v))),
      ),
    );
  for (const [k, v] of Object.entries(report)) {
    if (Array.isArray(v) && v.length && v.every((r) => r && typeof r === 'object' && !Array.isArray(r))) {
      const cols = [...new Set(v.flatMap((r) => Object.keys(r)))];
      out.push(
        h('h3', {}, k),
        h(
          'table',
          { class: 'parity' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              cols.map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h(
            'tbody',
            {},
            v.map((r) =>
              h(
                'tr',
                {
                  class: /differ|mismatch|missing|drift/i.test(JSON.stringify(r.status ?? r.state ?? ''))
                    ? 'differs'
                    : undefined,
                },
                cols.map((c) => h('td', {}, cell(r[c]))),
              ),
            ),
          ),
        ),
      );
    } else if (v && typeof v === 'object') {
      out.push(h('h3', {}, k), h('pre', { class: 'json' }, JSON.stringify(v, null, 2)));
    }
  }
  return out.length ? out : [h('p', { class: 'empty' }, 'No parity data for this application.')];
}

function cell(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// ---------------------------------------------------------------------------------------------------------
// Wiring

function toggle(button, on) {
  button.setAttribute('aria-pressed', on ? 'true' : 'false');
}

function setLargeType(on) {
  document.documentElement.classList.toggle('large', on);
  toggle($('large'), on);
  localStorage.setItem('vigie-large', on ? '1' : '0');
}

function init() {
  const params = new URLSearchParams(location.search);
  setLargeType(params.get('large') === '1' || localStorage.getItem('vigie-large') === '1');
  if (params.get('auto') === '0' || localStorage.getItem('vigie-auto') === '0') toggle($('auto'), false);

  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('key').value.trim();
    if (key) signIn(key);
  });
  $('logout').addEventListener('click', () => signOut(''));
  $('refresh').addEventListener('click', () => {
    refresh();
    if (state.hostOpen) loadHost();
  });
  $('large').addEventListener('click', () =>
    setLargeType(!document.documentElement.classList.contains('large')),
  );
  $('auto').addEventListener('click', () => {
    const on = $('auto').getAttribute('aria-pressed') !== 'true';
    toggle($('auto'), on);
    localStorage.setItem('vigie-auto', on ? '1' : '0');
    scheduleAuto();
  });
  $('help').addEventListener('click', () => openDialog($('help-dialog')));
  $('tenant-filter').addEventListener('change', (e) => {
    state.tenantFilter = e.currentTarget.value;
    sessionStorage.setItem('vigie-tenant', state.tenantFilter);
    state.lastFleet = '';
    state.lastQueue = '';
    refresh();
    connectLive();
  });
  $('queue-filter').addEventListener('input', (e) => {
    state.queueFilter = e.currentTarget.value;
    renderAll();
  });
  $('host-range').addEventListener('change', () => loadHost());

  for (const dialog of document.querySelectorAll('dialog')) {
    dialog.addEventListener('close', () => {
      if (dialog.id === 'ticket-dialog') state.ticketOpen = undefined;
      if (dialog.id === 'host-dialog') state.hostOpen = undefined;
      if (dialog.id === 'app-dialog') state.appOpen = undefined;
      const back = dialog.returnFocus;
      dialog.returnFocus = undefined;
      if (back?.isConnected) back.focus();
      else if (back?.dataset?.focusKey) {
        document.querySelector(`[data-focus-key="${CSS.escape(back.dataset.focusKey)}"]`)?.focus();
      }
    });
    // A click on the backdrop (outside the dialog box) closes it too.
    dialog.addEventListener('click', (e) => {
      if (e.target === dialog) dialog.close();
    });
    for (const b of dialog.querySelectorAll('[data-close]'))
      b.addEventListener('click', () => dialog.close());
  }

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || !state.key) return;
    const typing = e.target.closest?.('input, textarea, select');
    if (typing || document.querySelector('dialog[open]')) return;
    if (e.key === 'r') refresh();
    else if (e.key === 'l') setLargeType(!document.documentElement.classList.contains('large'));
    else if (e.key === '?') openDialog($('help-dialog'));
    else if (e.key === 'q') $('queue-panel').focus();
    else if (e.key === '/') {
      e.preventDefault();
      $('queue-filter').focus();
    } else return;
  });

  setInterval(tick, 1000);
  if (state.key) signIn(state.key);
  else $('key').focus();
}

init();
