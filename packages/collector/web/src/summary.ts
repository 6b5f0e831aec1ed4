// The summary tiles; each one is also a filter of the fleet or the queue (pressed again, it clears).
import { isSilent, worstOf } from './common';
import { $, fill, h } from './dom';
import { hostWindow } from './fleet';
import { t } from './i18n';
import { slaState } from './queue';
import { type QueueFilters, state } from './state';

interface Tile {
  id: string;
  label: string;
  value: number;
  tone?: 'bad' | 'warn';
  pressed: boolean;
  apply: (f: QueueFilters) => void;
}

export function renderSummary(changed: () => void): void {
  const f = state.filters;
  const worst = state.agents.map((a) => worstOf(a.checks.map((c) => c.status)));
  const sla = state.tickets.map(slaState);
  const tiles: Tile[] = [
    {
      id: 'hosts',
      label: t('tileHosts'),
      value: state.agents.length,
      pressed: false,
      apply: (x) => {
        x.hosts = '';
      },
    },
    {
      id: 'silent',
      label: t('tileSilent'),
      value: state.agents.filter(isSilent).length,
      tone: 'bad',
      pressed: f.hosts === 'silent',
      apply: (x) => {
        x.hosts = x.hosts === 'silent' ? '' : 'silent';
      },
    },
    {
      id: 'critical-hosts',
      label: t('tileCriticalHosts'),
      value: worst.filter((s) => s === 'critical').length,
      tone: 'bad',
      pressed: f.hosts === 'critical',
      apply: (x) => {
        x.hosts = x.hosts === 'critical' ? '' : 'critical';
      },
    },
    {
      id: 'warning-hosts',
      label: t('tileWarningHosts'),
      value: worst.filter((s) => s === 'warning').length,
      tone: 'warn',
      pressed: f.hosts === 'warning',
      apply: (x) => {
        x.hosts = x.hosts === 'warning' ? '' : 'warning';
      },
    },
    {
      id: 'maintenance-hosts',
      label: t('tileMaintenance'),
      value: state.agents.filter((a) => hostWindow(a)).length,
      pressed: f.hosts === 'maintenance',
      apply: (x) => {
        x.hosts = x.hosts === 'maintenance' ? '' : 'maintenance';
      },
    },
    {
      id: 'active',
      label: t('tileActive'),
      value: state.tickets.length,
      pressed: false,
      apply: (x) => Object.assign(x, { severity: '', priority: '', status: '', category: '', sla: '' }),
    },
    {
      id: 'p1',
      label: t('tileP1'),
      value: state.tickets.filter((x) => x.priority === 'P1').length,
      tone: 'bad',
      pressed: f.priority === 'P1',
      apply: (x) => {
        x.priority = x.priority === 'P1' ? '' : 'P1';
      },
    },
    {
      id: 'breached',
      label: t('tileBreached'),
      value: sla.filter((s) => s.breached).length,
      tone: 'bad',
      pressed: f.sla === 'breached',
      apply: (x) => {
        x.sla = x.sla === 'breached' ? '' : 'breached';
      },
    },
    {
      id: 'at-risk',
      label: t('tileAtRisk'),
      value: sla.filter((s) => s.atRisk).length,
      tone: 'warn',
      pressed: f.sla === 'at_risk',
      apply: (x) => {
        x.sla = x.sla === 'at_risk' ? '' : 'at_risk';
      },
    },
  ];
  fill(
    $('tiles'),
    tiles.map((tile) =>
      h(
        'button',
        {
          type: 'button',
          class: `stat${tile.value > 0 && tile.tone ? ` ${tile.tone}` : ''}`,
          'aria-pressed': tile.pressed ? 'true' : 'false',
          title: t('tileFilter'),
          dataset: { tile: tile.id, focusKey: `tile:${tile.id}` },
          onclick: () => {
            tile.apply(state.filters);
            changed();
          },
        },
        h('span', { class: 'stat-value' }, String(tile.value)),
        h('span', { class: 'stat-label' }, tile.label),
      ),
    ),
  );
}
