// The fleet at a glance: tenant › application › environment › host, each with its worst check status, last
// report and whether it is silent or under maintenance. A tile opens the host.
import { agoEl, badge, groupBy, isSilent, isSkewed, skewText, tenantLabel, worstOf, zoneOf } from './common';
import { $, fill, h } from './dom';
import { ago, t, tv } from './i18n';
import { state } from './state';
import type { Agent } from './types';

const ENV_ORDER: Record<string, number> = { production: 0, 'iso-production': 1, staging: 2 };

export function hostWindow(a: Agent) {
  return state.windows.find(
    (w) =>
      w.active &&
      w.tenant === a.tenant &&
      (w.host === null || w.host === a.host) &&
      (w.application === null || w.application === a.application) &&
      w.checkId === null,
  );
}

function visibleAgents(): Agent[] {
  const f = state.filters.hosts;
  return state.agents.filter((a) => {
    if (f === 'silent') return isSilent(a);
    if (f === 'maintenance') return hostWindow(a) !== undefined;
    if (f === 'critical' || f === 'warning') return worstOf(a.checks.map((c) => c.status)) === f;
    return true;
  });
}

function groupLine(level: 'tenant' | 'application', name: string, agents: Agent[], extra?: Node) {
  const worst = worstOf(agents.map((a) => worstOf(a.checks.map((c) => c.status))));
  const silent = agents.filter(isSilent).length;
  const last = agents.map((a) => a.lastSeen).reduce((x, y) => (Date.parse(y) > Date.parse(x) ? y : x));
  return h(
    'div',
    { class: `group-line ${level}` },
    h(level === 'tenant' ? 'h3' : 'h4', { class: 'group-name' }, name),
    badge(worst),
    silent > 0 ? h('span', { class: 'silent-count' }, t('silentCount', { n: silent })) : null,
    h('span', { class: 'muted small' }, t('hostsSeen', { n: agents.length })),
    agoEl(last, zoneOf(agents[0]?.tenant ?? ''), 'muted small'),
    extra ?? null,
  );
}

function hostTile(a: Agent, open: (tenant: string, host: string) => void): HTMLElement {
  const worst = worstOf(a.checks.map((c) => c.status));
  const silent = isSilent(a);
  const why = !a.connected ? t('disconnected') : t('noReport');
  const window = hostWindow(a);
  const label =
    t('hostLabel', {
      host: a.host,
      status: worst === 'none' ? t('noChecks') : tv('sev', worst),
      ago: ago(a.lastSeen),
    }) +
    (silent ? `, ${t('silentWhy', { why })}` : '') +
    (window ? `, ${t('underMaintenance')}` : '') +
    (isSkewed(a) ? `, ${t('clock')} ${skewText(a.clockSkewMs)}` : '');
  return h(
    'li',
    {},
    h(
      'button',
      {
        type: 'button',
        class: `host-tile st-border-${worst}${silent ? ' silent' : ''}${window ? ' in-maintenance' : ''}`,
        'aria-label': label,
        title: a.host,
        dataset: { host: a.host, tenant: a.tenant, focusKey: `host:${a.tenant}/${a.host}` },
        onclick: () => open(a.tenant, a.host),
      },
      h('span', { class: 'host-name' }, a.host),
      h('span', { class: 'host-facts' }, badge(worst), agoEl(a.lastSeen, zoneOf(a.tenant), 'small')),
      silent ? h('span', { class: 'silent-tag', title: why }, `${t('silent')} · ${why}`) : null,
      window ? h('span', { class: 'maint-tag', title: window.reason }, t('maintenanceTag')) : null,
      isSkewed(a) ? h('span', { class: 'skew-tag', title: skewText(a.clockSkewMs) }, t('clockTag')) : null,
    ),
  );
}

export function renderFleet(open: {
  host: (tenant: string, host: string) => void;
  parity: (tenant: string, application: string) => void;
}): void {
  const root = $('fleet');
  const agents = visibleAgents();
  if (agents.length === 0) {
    fill(root, h('p', { class: 'muted empty' }, state.agents.length ? t('noHostMatches') : t('noAgent')));
    return;
  }
  fill(
    root,
    groupBy(agents, (a) => a.tenant).map(([tenant, tAgents]) =>
      h(
        'section',
        { class: 'tenant', 'aria-label': t('tenantNamed', { name: tenantLabel(tenant) }) },
        groupLine('tenant', tenantLabel(tenant), tAgents),
        groupBy(tAgents, (a) => a.application).map(([application, appAgents]) =>
          h(
            'div',
            { class: 'application' },
            groupLine(
              'application',
              application || t('noApplication'),
              appAgents,
              h(
                'button',
                {
                  type: 'button',
                  class: 'link small',
                  'aria-label': t('parityOf', { application, tenant }),
                  dataset: { focusKey: `parity:${tenant}/${application}` },
                  onclick: () => open.parity(tenant, application),
                },
                t('parity'),
              ),
            ),
            groupBy(appAgents, (a) => a.environment)
              .sort(([a], [b]) => (ENV_ORDER[a] ?? 9) - (ENV_ORDER[b] ?? 9) || a.localeCompare(b))
              .map(([environment, envAgents]) =>
                h(
                  'div',
                  { class: 'environment' },
                  h(
                    'div',
                    { class: 'env-name' },
                    h('span', {}, tv('env', environment)),
                    badge(worstOf(envAgents.flatMap((a) => a.checks.map((c) => c.status)))),
                  ),
                  h(
                    'ul',
                    { class: 'hosts', 'aria-label': t('hostsOf', { application, environment }) },
                    envAgents.sort((a, b) => a.host.localeCompare(b.host)).map((a) => hostTile(a, open.host)),
                  ),
                ),
              ),
          ),
        ),
      ),
    ),
  );
}
