// Maps a ticket notification to a PagerDuty Events API v2 event: the ticket's dedup key ties trigger,
// acknowledge and resolve to one PagerDuty alert.
import { createHash } from 'node:crypto';
import type { NotificationKind, TicketNotification } from '../types.js';

export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyEvent {
  routing_key: string;
  event_action: PagerDutyAction;
  dedup_key: string;
  /** Only on trigger: acknowledge and resolve events carry no payload. */
  payload?: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  client?: string;
  client_url?: string;
  links?: Array<{ href: string; text: string }>;
}

const ACTIONS: Record<NotificationKind, PagerDutyAction> = {
  opened: 'trigger',
  updated: 'trigger',
  escalated: 'trigger',
  breached: 'trigger',
  at_risk: 'trigger',
  acknowledged: 'acknowledge',
  resolved: 'resolve',
  closed: 'resolve',
};

/** Follows Vigie's own order (ok < unknown < warning < critical); a value Vigie does not define yet is an error. */
const SEVERITIES: Record<string, PagerDutySeverity> = {
  critical: 'critical',
  error: 'error',
  warning: 'warning',
  unknown: 'info',
  info: 'info',
  ok: 'info',
};

const SUMMARY_PREFIX: Partial<Record<NotificationKind, string>> = {
  escalated: 'Escalated: ',
  breached: 'SLA breached: ',
  at_risk: 'SLA at risk: ',
};

/** PagerDuty limits: summary 1024 characters, dedup_key 255. */
const MAX_SUMMARY = 1024;
const MAX_DEDUP_KEY = 255;

export function pagerDutyAction(kind: NotificationKind): PagerDutyAction {
  return ACTIONS[kind];
}

export function pagerDutySeverity(severity: string): PagerDutySeverity {
  return SEVERITIES[severity] ?? 'error';
}

/** The ticket's dedup key, or a stable hash of it when it is longer than PagerDuty accepts. */
export function pagerDutyDedupKey(dedupKey: string): string {
  if (dedupKey.length <= MAX_DEDUP_KEY) return dedupKey;
  return `sha256:${createHash('sha256').update(dedupKey).digest('hex')}`;
}

export function toPagerDutyEvent(n: TicketNotification, routingKey: string): PagerDutyEvent {
  const event: PagerDutyEvent = {
    routing_key: routingKey,
    event_action: pagerDutyAction(n.kind),
    dedup_key: pagerDutyDedupKey(n.ticket.dedupKey),
  };
  if (event.event_action !== 'trigger') return event;
  const t = n.ticket;
  const summary = `${SUMMARY_PREFIX[n.kind] ?? ''}[${t.tenant}] ${t.host}: ${t.title || t.checkId}`;
  event.payload = {
    summary: summary.length > MAX_SUMMARY ? `${summary.slice(0, MAX_SUMMARY - 1)}…` : summary,
    source: t.host,
    severity: pagerDutySeverity(t.severity),
    timestamp: n.at,
    component: t.checkId,
    group: t.tenant,
    class: n.kind,
    custom_details: {
      ticketId: t.id,
      eventId: n.eventId,
      status: t.status,
      priority: t.priority,
      supportLevel: t.supportLevel,
      openedAt: t.openedAt,
      ...(n.details === undefined ? {} : { details: n.details }),
    },
  };
  event.client = 'Vigie';
  if (t.url !== undefined) {
    event.client_url = t.url;
    event.links = [{ href: t.url, text: `Vigie ticket ${t.id}` }];
  }
  return event;
}
