// Turns ticket changes into notifications recorded in the durable outbox, inside the caller's transaction, for
// every configured connector (the dispatcher in connectors/ sends them).
import { enqueue } from '../connectors/outbox.js';
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
}

export const SILENT_NOTIFIER: Notifier = { notify: async () => undefined };

/** Connectors by name, with the tenant a client's own connector is limited to. */
export type ConnectorTargets = ReadonlyArray<string | { name: string; tenant?: string | undefined }>;

export function outboxNotifier(
  connectors: ConnectorTargets,
  deps: { newId: () => string; now: () => Date },
): Notifier {
  if (connectors.length === 0) return SILENT_NOTIFIER;
  const targets = connectors.map((c) => (typeof c === 'string' ? { name: c } : c));
  return {
    async notify(db, t, kind, details) {
      const connectorNames = targets.filter((c) => reachesTenant(c, t.tenant_id)).map((c) => c.name);
      if (connectorNames.length === 0) return;
      const n: TicketNotification = {
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
      };
      await enqueue(db, n, connectorNames, deps.now());
    },
  };
}
