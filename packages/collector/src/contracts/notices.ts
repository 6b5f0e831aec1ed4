// Tenant notices (low balance, report ready) through the notification outbox, to the provider's connectors and
// to the tenant's own, those that can carry notices (a webhook can, PagerDuty does not).
import { enqueueNotice } from '../connectors/outbox.js';
import { type Connector, reachesTenant, type TenantNotice } from '../connectors/types.js';
import type { Db } from '../store/open.js';

export type NoticeInput = Omit<TenantNotice, 'eventId' | 'at'> & { eventId?: string };

export interface NoticeSender {
  /** Records the notice for delivery in the caller's transaction; returns the connectors it will reach. */
  send(db: Db, notice: NoticeInput): Promise<string[]>;
}

export function outboxNoticeSender(
  connectors: ReadonlyArray<Pick<Connector, 'name' | 'tenant' | 'sendNotice'>>,
  deps: { newId: () => string; now: () => Date },
): NoticeSender {
  return {
    async send(db, input) {
      const names = connectors
        .filter((c) => c.sendNotice !== undefined && reachesTenant(c, input.tenant))
        .map((c) => c.name);
      if (names.length === 0) return [];
      const { eventId, ...rest } = input;
      const now = deps.now();
      await enqueueNotice(
        db,
        { eventId: eventId ?? deps.newId(), at: now.toISOString(), ...rest },
        names,
        now,
      );
      return names;
    },
  };
}

export const SILENT_NOTICES: NoticeSender = { send: async () => [] };
