// The texts of notifications people read (e-mail subject and body), in English and French. Dates are written
// in the reader's language and time zone, with the zone named.
import type { NotificationKind, TicketNotification } from '../connectors/types.js';

export const NOTIFICATION_LOCALES = ['en', 'fr'] as const;
export type NotificationLocale = (typeof NOTIFICATION_LOCALES)[number];

interface Catalog {
  kind: Record<NotificationKind, string>;
  severity: Record<string, string>;
  status: Record<string, string>;
  labels: {
    tenant: string;
    host: string;
    check: string;
    priority: string;
    severity: string;
    status: string;
    supportLevel: string;
    opened: string;
    event: string;
    details: string;
    link: string;
    footer: string;
  };
}

const EN: Catalog = {
  kind: {
    opened: 'Ticket opened',
    updated: 'Ticket updated',
    escalated: 'Ticket escalated',
    acknowledged: 'Ticket acknowledged',
    resolved: 'Ticket resolved',
    closed: 'Ticket closed',
    breached: 'SLA breached',
    at_risk: 'SLA at risk',
  },
  severity: { critical: 'critical', warning: 'warning', unknown: 'unknown', ok: 'ok' },
  status: {
    open: 'open',
    acknowledged: 'acknowledged',
    in_progress: 'in progress',
    waiting: 'waiting for the client',
    resolved: 'resolved',
    closed: 'closed',
  },
  labels: {
    tenant: 'Client',
    host: 'Host',
    check: 'Check',
    priority: 'Priority',
    severity: 'Severity',
    status: 'Status',
    supportLevel: 'Support level',
    opened: 'Opened',
    event: 'Event',
    details: 'Details',
    link: 'Open in Vigie',
    footer: 'Sent by Vigie. Event id (the same on every retry):',
  },
};

const FR: Catalog = {
  kind: {
    opened: 'Ticket ouvert',
    updated: 'Ticket mis à jour',
    escalated: 'Ticket escaladé',
    acknowledged: 'Ticket pris en compte',
    resolved: 'Ticket résolu',
    closed: 'Ticket clos',
    breached: 'SLA dépassé',
    at_risk: 'SLA menacé',
  },
  severity: { critical: 'critique', warning: 'avertissement', unknown: 'inconnu', ok: 'ok' },
  status: {
    open: 'ouvert',
    acknowledged: 'pris en compte',
    in_progress: 'en cours',
    waiting: 'en attente du client',
    resolved: 'résolu',
    closed: 'clos',
  },
  labels: {
    tenant: 'Client',
    host: 'Serveur',
    check: 'Contrôle',
    priority: 'Priorité',
    severity: 'Gravité',
    status: 'Statut',
    supportLevel: 'Niveau de support',
    opened: 'Ouvert le',
    event: 'Événement',
    details: 'Détails',
    link: 'Ouvrir dans Vigie',
    footer: 'Envoyé par Vigie. Identifiant de l’événement (identique à chaque nouvel essai) :',
  },
};

export const NOTIFICATION_CATALOGS: Record<NotificationLocale, Catalog> = { en: EN, fr: FR };

/** A date and time in the reader's language and zone, with the zone named (e.g. "28/11/2026 13:00 UTC+1"). */
export function formatInstant(iso: string, locale: NotificationLocale, timeZone: string): string {
  const f = new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', {
    timeZone,
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  return `${f.format(new Date(iso))} (${timeZone})`;
}

export interface NotificationText {
  subject: string;
  text: string;
}

/** The e-mail of a notification. */
export function notificationText(
  n: TicketNotification,
  locale: NotificationLocale,
  timeZone: string,
): NotificationText {
  const c = NOTIFICATION_CATALOGS[locale];
  const t = n.ticket;
  const severity = c.severity[t.severity] ?? t.severity;
  const subject = `[Vigie ${t.priority}] ${c.kind[n.kind]}: ${t.title || t.checkId} (${t.host})`;
  const lines = [
    `${c.kind[n.kind]} — ${formatInstant(n.at, locale, timeZone)}`,
    '',
    t.title,
    '',
    `${c.labels.tenant}: ${t.tenant}`,
    `${c.labels.host}: ${t.host}`,
    `${c.labels.check}: ${t.checkId}`,
    `${c.labels.priority}: ${t.priority}`,
    `${c.labels.severity}: ${severity}`,
    `${c.labels.status}: ${c.status[t.status] ?? t.status}`,
    `${c.labels.supportLevel}: ${t.supportLevel}`,
    `${c.labels.opened}: ${formatInstant(t.openedAt, locale, timeZone)}`,
  ];
  if (n.details && Object.keys(n.details).length > 0) {
    lines.push(`${c.labels.details}: ${JSON.stringify(n.details)}`);
  }
  if (t.url) lines.push('', `${c.labels.link}: ${t.url}`);
  lines.push('', '--', `${c.labels.footer} ${n.eventId}`);
  return { subject, text: `${lines.join('\n')}\n` };
}
