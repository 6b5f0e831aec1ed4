// Turns ticket changes into notifications recorded in the durable outbox for every configured connector that
// may receive them (the dispatcher in connectors/ sends them): inside the caller's transaction (`notify`), or
// as rows for the ingest hot path to write with its group (`deliveries`).
import { deliveryRows, enqueue, type NotificationDeliveryTable } from '../connectors/outbox.js';
import { reachesTenant, type TicketNotification } from '../connectors/types.js';
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

/** Connectors by name, with the tenant a client's own connector is limited to. */
export type ConnectorTargets = ReadonlyArray<string | { name: string; tenant?: string | undefined }>;

export function outboxNotifier(
  connectors: ConnectorTargets,
  deps: { newId: () => string; now: () => Date },
): Notifier {
  if (connectors.length === 0) return SILENT_NOTIFIER;
  const targets = connectors.map((c) => (typeof c === 'string' ? { name: c } : c));
  /** A client's own connector gets its tenant's events only; the provider's get all. */
  const namesFor = (t: TicketTable) =>
    targets.filter((c) => reachesTenant(c, t.tenant_id)).map((c) => c.name);
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
      const names = namesFor(t);
      if (names.length > 0) await enqueue(db, notification(t, kind, details), names, deps.now());
    },
    deliveries(t, kind, details) {
      const names = namesFor(t);
      return names.length > 0 ? deliveryRows(notification(t, kind, details), names, deps.now()) : [];
    },
  };
}
