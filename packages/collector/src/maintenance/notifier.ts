// Holds back notifications about a ticket while a maintenance window covers it: the on-call phone stays quiet
// during planned work. The ticket's timeline still records what happened.
import type { TicketTable } from '../store/schema.js';
import type { Notifier } from '../tickets/notifier.js';
import type { MaintenanceQuery } from './book.js';

export function maintenanceAwareNotifier(inner: Notifier, book: MaintenanceQuery, now: () => Date): Notifier {
  const covered = (ticket: TicketTable) =>
    book.activeWindow(
      {
        tenantId: ticket.tenant_id,
        application: ticket.application,
        host: ticket.host,
        checkId: ticket.check_id,
      },
      now(),
    ) !== undefined;
  return {
    async notify(db, ticket, kind, details) {
      if (covered(ticket)) return;
      await inner.notify(db, ticket, kind, details);
    },
    deliveries(ticket, kind, details) {
      return covered(ticket) ? [] : inner.deliveries(ticket, kind, details);
    },
  };
}
