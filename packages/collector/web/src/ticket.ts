// The ticket dialog: facts, SLA countdown in contract time, every workflow action (each with a key), the
// timeline with repeats folded into one row. A client key sees the comment form only.
import { api } from './api';
import { badge, displayMessage, displayTitle, fact, statusText, tenantLabel, zoneOf } from './common';
import { $, type Child, fill, h, openDialog } from './dom';
import { dateTime, locale, t, tv } from './i18n';
import type { MessageKey } from './i18n/en';
import { countdownEl, slaTags } from './queue';
import { isClient, state } from './state';
import type { Ticket, TimelineEvent } from './types';

type Full = Ticket & { timeline: TimelineEvent[] };
const SUPPORT_LEVELS = ['N1', 'N2', 'N3'];
const ACTIVE = ['open', 'acknowledged', 'in_progress', 'waiting'];

/** Statuses each action may start from (as the collector's workflow allows). */
const FROM: Record<string, string[]> = {
  acknowledge: ['open'],
  start: ['open', 'acknowledged', 'waiting'],
  waiting: ['open', 'acknowledged', 'in_progress'],
  resume: ['waiting'],
  resolve: ['open', 'acknowledged', 'in_progress', 'waiting'],
  close: ['resolved', 'open', 'acknowledged', 'in_progress', 'waiting'],
};
/** One-key actions in the dialog, and the forms their key focuses. */
export const DIALOG_KEYS: Record<string, string> = {
  a: 'acknowledge',
  s: 'start',
  w: 'waiting',
  u: 'resume',
  r: 'resolve',
  c: 'close',
  g: 'assign',
  e: 'escalate',
  m: 'comment',
};

let refreshQueue: () => Promise<void> = async () => undefined;
export function onTicketChanged(f: () => Promise<void>): void {
  refreshQueue = f;
}

let lastRendered = '';

export async function openTicket(id: string): Promise<void> {
  state.ticketOpen = id;
  lastRendered = '';
  $('ticket-title').textContent = t('ticket');
  fill($('ticket-body'), h('p', { class: 'muted' }, t('loading')));
  openDialog($('ticket-dialog') as HTMLDialogElement);
  await loadTicket(true);
}

export async function loadTicket(focusFirst = false): Promise<void> {
  const id = state.ticketOpen;
  if (!id) return;
  let ticket: Full;
  try {
    ticket = await api<Full>(`/api/tickets/${encodeURIComponent(id)}`);
  } catch (err) {
    if (state.ticketOpen === id)
      fill($('ticket-body'), h('p', { class: 'error', role: 'alert' }, (err as Error).message));
    return;
  }
  if (state.ticketOpen !== id) return;
  // A live event about a change already shown (often the operator's own action): nothing to redraw.
  const signature = `${locale()}|${JSON.stringify({ ...ticket, countdown: null })}`;
  if (signature === lastRendered && !focusFirst) return;
  lastRendered = signature;
  const body = $('ticket-body');
  // Keep what the operator is typing across live refreshes.
  const typed = new Map<string, string>();
  for (const el of body.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('textarea, input'))
    typed.set(el.id, el.value);
  const focused = document.activeElement?.id;
  const statusLine = document.getElementById('ticket-action-status')?.textContent ?? '';
  render(ticket);
  for (const [elId, value] of typed) {
    const el = document.getElementById(elId) as HTMLInputElement | null;
    if (el) el.value = value;
  }
  $('ticket-action-status').textContent = statusLine;
  const again = focused ? document.getElementById(focused) : null;
  if (again) again.focus();
  else if (focusFirst) body.querySelector<HTMLElement>('button, textarea, input, select')?.focus();
}

function render(ticket: Full): void {
  $('ticket-title').textContent = displayTitle(ticket);
  const zone = zoneOf(ticket.tenant);
  const active = ACTIVE.includes(ticket.status);
  const status = h('p', { id: 'ticket-action-status', class: 'action-status', role: 'status' });
  fill(
    $('ticket-body'),
    h(
      'dl',
      { class: 'facts' },
      fact(t('priority'), h('span', { class: `prio-badge prio-${ticket.priority}` }, ticket.priority)),
      fact(t('supportLevel'), ticket.supportLevel),
      fact(
        t('status'),
        h('span', { id: 'ticket-status', dataset: { status: ticket.status } }, statusText(ticket.status)),
      ),
      fact(t('severity'), badge(ticket.severity)),
      fact(t('tenant'), tenantLabel(ticket.tenant)),
      fact(t('host'), ticket.host),
      fact(
        t('application'),
        `${ticket.application || '—'} · ${ticket.environment ? tv('env', ticket.environment) : '—'}`,
      ),
      fact(t('check'), `${ticket.checkId} (${tv('kind', ticket.kind)})`),
      fact(t('openedAt'), dateTime(ticket.openedAt, zone)),
      fact(t('occurrences'), String(ticket.occurrences)),
      fact(t('assignee'), ticket.assignee ?? '—'),
      fact(
        t('responseDue'),
        dateTime(ticket.responseDueAt, zone),
        ticket.acknowledgedAt
          ? ` · ${t('acknowledgedAt', { when: dateTime(ticket.acknowledgedAt, zone) })}`
          : '',
      ),
      fact(t('resolutionDue'), dateTime(ticket.resolutionDueAt, zone)),
      fact(t('sla'), active ? countdownEl(ticket) : '—', ' ', slaTags(ticket)),
      ticket.maintenance
        ? fact(
            t('maintenance'),
            h('span', { class: 'tag maint' }, t('maintenanceTag')),
            ` ${ticket.maintenance.reason}`,
          )
        : null,
    ),
    h('p', { class: 'ticket-message' }, displayMessage(ticket)),
    h('h3', {}, t('actions')),
    actions(ticket, status, active),
    status,
    h('h3', {}, t('timeline')),
    timeline(ticket.timeline, zone),
  );
}

async function run(
  ticket: Ticket,
  path: string,
  body: unknown,
  label: string,
  scope: HTMLElement,
): Promise<void> {
  const status = $('ticket-action-status');
  for (const b of scope.querySelectorAll('button')) b.disabled = true;
  status.textContent = `${label}…`;
  status.classList.remove('error');
  try {
    await api(`/api/tickets/${encodeURIComponent(ticket.id)}/${path}`, { method: 'POST', body });
    for (const f of scope.querySelectorAll('form')) f.reset();
    // Out of the form just sent, so that the next key is an action again, not a letter typed into it (and
    // before the redraw, so that a key pressed meanwhile keeps the focus it gave).
    $('ticket-title').focus();
    await Promise.all([loadTicket(), refreshQueue()]);
    $('ticket-action-status').textContent = t('actionDone', { action: label });
  } catch (err) {
    status.textContent = t('actionFailed', { action: label, reason: (err as Error).message });
    status.classList.add('error');
    for (const b of scope.querySelectorAll('button')) b.disabled = false;
  }
}

function actions(ticket: Full, _status: HTMLElement, active: boolean): Child {
  const box = h('div', { class: 'ticket-actions' });
  const comment = h(
    'form',
    {
      class: 'action',
      id: 'form-comment',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const text = ($('comment-text') as HTMLTextAreaElement).value.trim();
        if (!text) {
          $('ticket-action-status').textContent = t('writeCommentFirst');
          $('comment-text').focus();
          return;
        }
        void run(ticket, 'comments', { text }, t('comment'), box);
      },
    },
    h('label', { for: 'comment-text' }, t('comment')),
    h('textarea', { id: 'comment-text', rows: 2, maxlength: 5000, 'aria-keyshortcuts': 'm' }),
    h('button', { type: 'submit' }, t('addComment')),
  );
  if (isClient()) {
    box.append(h('p', { class: 'muted small' }, t('clientReadOnly')), comment);
    return box;
  }
  const button = (action: string, key: string, label: MessageKey, body: () => unknown = () => ({})) =>
    FROM[action]?.includes(ticket.status)
      ? h(
          'button',
          {
            type: 'button',
            class: action === 'acknowledge' ? 'primary' : undefined,
            id: `do-${action}`,
            'aria-keyshortcuts': key,
            title: t('keyHint', { key }),
            onclick: () => void run(ticket, action, body(), t(label), box),
          },
          t(label),
          h('kbd', { 'aria-hidden': 'true' }, key),
        )
      : null;
  const note = () => {
    const v = (document.getElementById('action-note') as HTMLInputElement | null)?.value.trim();
    return v ? { comment: v } : {};
  };
  box.append(
    h(
      'div',
      { class: 'action-buttons' },
      button('acknowledge', 'a', 'acknowledge', note),
      button('start', 's', 'start'),
      button('waiting', 'w', 'waitForClient', () => {
        const v = (document.getElementById('action-note') as HTMLInputElement | null)?.value.trim();
        return v ? { reason: v } : {};
      }),
      button('resume', 'u', 'resume'),
      button('resolve', 'r', 'resolve', note),
      button('close', 'c', 'close', note),
    ),
  );
  if (active)
    box.append(
      h('label', { class: 'inline small', for: 'action-note' }, t('actionNote')),
      h('input', { id: 'action-note', type: 'text', maxlength: 2000 }),
    );
  if (active) {
    box.append(
      h(
        'form',
        {
          class: 'action',
          id: 'form-assign',
          onsubmit: (e: Event) => {
            e.preventDefault();
            const who = ($('assignee') as HTMLInputElement).value.trim();
            if (!who) {
              $('assignee').focus();
              return;
            }
            void run(ticket, 'assign', { assignee: who }, t('assign'), box);
          },
        },
        h('label', { for: 'assignee' }, t('assignTo')),
        h('input', {
          id: 'assignee',
          type: 'text',
          maxlength: 200,
          value: ticket.assignee ?? '',
          'aria-keyshortcuts': 'g',
        }),
        h('button', { type: 'submit' }, t('assign')),
      ),
    );
    const level = SUPPORT_LEVELS.indexOf(ticket.supportLevel);
    const higher = SUPPORT_LEVELS.slice(level + 1);
    if (higher.length > 0)
      box.append(
        h(
          'form',
          {
            class: 'action',
            id: 'form-escalate',
            onsubmit: (e: Event) => {
              e.preventDefault();
              const reason = ($('escalate-reason') as HTMLInputElement).value.trim();
              if (!reason) {
                $('ticket-action-status').textContent = t('giveReason');
                $('escalate-reason').focus();
                return;
              }
              void run(
                ticket,
                'escalate',
                { level: ($('escalate-level') as HTMLSelectElement).value, reason },
                t('escalate'),
                box,
              );
            },
          },
          h('label', { for: 'escalate-reason' }, t('escalateReason')),
          h('input', { id: 'escalate-reason', type: 'text', maxlength: 2000, 'aria-keyshortcuts': 'e' }),
          h('label', { for: 'escalate-level', class: 'visually-hidden' }, t('toLevel')),
          h(
            'select',
            { id: 'escalate-level' },
            higher.map((l) => h('option', { value: l }, t('toLevelN', { level: l }))),
          ),
          h('button', { type: 'submit' }, t('escalate')),
        ),
      );
  }
  box.append(worklog(ticket, box), comment);
  return box;
}

/** Time spent on the ticket (régie): minutes and the work done, counted in the contract's time sheet. */
function worklog(ticket: Full, box: HTMLElement): HTMLElement {
  return h(
    'form',
    {
      class: 'action',
      id: 'form-worklog',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const minutes = Number(($('worklog-minutes') as HTMLInputElement).value);
        const description = ($('worklog-work') as HTMLInputElement).value.trim();
        if (!Number.isInteger(minutes) || minutes < 1) {
          $('worklog-minutes').focus();
          return;
        }
        if (!description) {
          $('worklog-work').focus();
          return;
        }
        void run(ticket, 'worklogs', { minutes, description }, t('logTime'), box);
      },
    },
    h('label', { for: 'worklog-minutes' }, t('worklogMinutes')),
    h('input', { id: 'worklog-minutes', type: 'number', min: 1, max: 1440, step: 1 }),
    h('label', { for: 'worklog-work' }, t('worklogWork')),
    h('input', { id: 'worklog-work', type: 'text', maxlength: 5000 }),
    h('button', { type: 'submit' }, t('logTime')),
  );
}

/** A key pressed in the open ticket dialog (not while typing): runs or focuses the action. */
export function dialogKey(key: string): boolean {
  const action = DIALOG_KEYS[key];
  if (!action) return false;
  const focus: Record<string, string> = {
    assign: 'assignee',
    escalate: 'escalate-reason',
    comment: 'comment-text',
  };
  const target = focus[action]
    ? document.getElementById(focus[action])
    : document.getElementById(`do-${action}`);
  if (!target) return false;
  if (focus[action]) target.focus();
  else (target as HTMLButtonElement).click();
  return true;
}

/** Hidden in the timeline: bookkeeping (ids, rule internals) and due times shown above. */
const HIDDEN = new Set([
  'resultId',
  'rules',
  'findings',
  'checkType',
  'responseDue',
  'resolutionDue',
  'status',
]);

function detailsText(details: Record<string, unknown> | null, zone: string): string {
  if (!details || typeof details !== 'object') return '';
  return Object.entries(details)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== null && v !== undefined && v !== '')
    .filter(([, v]) => typeof v !== 'object' || Object.keys(v as object).length > 0)
    .map(([k, v]) => {
      const name = tv('detail', k);
      if (typeof v === 'object') return `${name}: ${JSON.stringify(v)}`;
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v))
        return `${name}: ${dateTime(v, zone)}`;
      if (typeof v === 'boolean') return v ? name : '';
      if (k === 'reason' && typeof v === 'string') return `${name}: ${tv('reason', v)}`;
      if (k === 'target' && typeof v === 'string') return `${name}: ${tv('target', v)}`;
      if (k === 'severity' && typeof v === 'string') return `${name}: ${tv('sev', v)}`;
      return `${name}: ${String(v)}`;
    })
    .filter(Boolean)
    .join(' · ');
}

/** How many repeats a timeline row stands for: the collector already folds those of one batch (`count`). */
function repeats(e: TimelineEvent): number {
  const d = e.details as { count?: unknown } | null;
  return e.kind === 'occurrence' && d && typeof d.count === 'number' && d.count > 0 ? d.count : 1;
}

/** Consecutive repeats (occurrences) become one row with their count and time span. */
export function foldRepeats(
  events: TimelineEvent[],
): Array<{ first: TimelineEvent; last: TimelineEvent; count: number }> {
  const out: Array<{ first: TimelineEvent; last: TimelineEvent; count: number }> = [];
  for (const e of events) {
    const prev = out[out.length - 1];
    if (prev && e.kind === 'occurrence' && prev.first.kind === 'occurrence') {
      prev.last = e;
      prev.count += repeats(e);
    } else out.push({ first: e, last: e, count: repeats(e) });
  }
  return out;
}

function timeline(events: TimelineEvent[], zone: string): Child {
  if (!events.length) return h('p', { class: 'muted' }, t('noEvent'));
  return h(
    'ol',
    { class: 'timeline' },
    foldRepeats(events).map((row) =>
      h(
        'li',
        { dataset: { kind: row.first.kind, count: String(row.count) } },
        h('time', { datetime: row.first.at }, dateTime(row.first.at, zone)),
        h(
          'span',
          { class: 'ev-kind' },
          tv('ev', row.first.kind),
          row.count > 1 ? h('span', { class: 'ev-count' }, ` ×${row.count}`) : null,
        ),
        h('span', { class: 'ev-actor muted' }, row.first.actor === 'vigie' ? 'Vigie' : row.first.actor),
        h(
          'span',
          { class: 'ev-details' },
          row.count > 1
            ? t('repeatsUntil', { when: dateTime(row.last.at, zone) })
            : detailsText(row.first.details, zone),
        ),
      ),
    ),
  );
}
