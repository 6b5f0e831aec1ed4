// Test support: a well-formed ticket notification, varied per test through overrides.
import type { TicketNotification } from '../types.js';

export function sampleNotification(
  overrides: Partial<Omit<TicketNotification, 'ticket'>> & {
    ticket?: Partial<TicketNotification['ticket']>;
  } = {},
): TicketNotification {
  const { ticket, ...rest } = overrides;
  return {
    eventId: 'evt-0001',
    kind: 'opened',
    at: '2026-11-28T12:00:00.000Z',
    ...rest,
    ticket: {
      id: 'tkt-0001',
      dedupKey: 'acme/web-01/backup',
      tenant: 'acme',
      host: 'web-01',
      checkId: 'backup',
      title: 'Last backup is 3 days old',
      severity: 'critical',
      priority: 'P1',
      status: 'open',
      supportLevel: 'N2',
      openedAt: '2026-11-28T11:58:00.000Z',
      ...ticket,
    },
  };
}
