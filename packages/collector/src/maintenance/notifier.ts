// Holds back notifications about a ticket while a maintenance window covers it: the on-call phone stays quiet
// during planned work. The ticket's timeline still records what happened.
import type { Notifier } from '../tickets/notifier.js';
import type { MaintenanceQuery } from './book.js';

export function maintenanceAwareNotifier(inner: Notifier, book: MaintenanceQuery, now: () => Date): Notifier {
  return {
    async notify(db, ticket, kind, details) {
      const scope = {
        tenantId: ticket.tenant_id,
        application: ticket.application,
        host: ticket.host,
        checkId: ticket.check_id,
      };
      if (book.activeWindow(scope, now())) return;
      await inner.notify(db, ticket, kind, details);
    },
  };
}
