// Turns ticket changes into notifications recorded in the durable outbox for every configured connector (the
// dispatcher in connectors/ sends them): inside the caller's transaction (`notify`), or as rows for the
// ingest hot path to write with its group (`deliveries`).
import { deliveryRows, enqueue, type NotificationDeliveryTable } from '../connectors/outbox.js';
import type { TicketNotification } from '../connectors/types.js';
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';

export type NotificationKind = TicketNotification['kind'];

export interface Notifier {
  notify(
    db: Db,
    ticket: TicketTable,
    kind: NotificationKind,
    details?: Record<string, unknown>,
  ): Promise<void>;
  /** The outbox rows of one notification, for a caller that writes them itself. */
  deliveries(
    ticket: TicketTable,
    kind: NotificationKind,
    details?: Record<string, unknown>,
  ): NotificationDeliveryTable[];
}

export const SILENT_NOTIFIER: Notifier = { notify: async () => undefined, deliveries: () => [] };

export function outboxNotifier(
  connectorNames: readonly string[],
  deps: { newId: () => string; now: () => Date },
): Notifier {
  if (connectorNames.length === 0) return SILENT_NOTIFIER;
  const notification = (
    t: TicketTable,
    kind: NotificationKind,
    details?: Record<string, unknown>,
  ): TicketNotification => ({
    eventId: deps.newId(),
    kind,
    at: deps.now().toISOString(),
    ticket: {
      id: t.id,
      dedupKey: t.dedup_key,
      tenant: t.tenant_id,
      host: t.host,
      checkId: t.check_id,
      title: t.title,
      severity: t.severity,
      priority: t.priority ?? 'P4',
      status: t.status,
      supportLevel: t.support_level ?? 'N1',
      openedAt: t.opened_at,
    },
    ...(details ? { details } : {}),
  });
  return {
    async notify(db, t, kind, details) {
      await enqueue(db, notification(t, kind, details), connectorNames, deps.now());
    },
    deliveries(t, kind, details) {
      return deliveryRows(notification(t, kind, details), connectorNames, deps.now());
    },
  };
}
