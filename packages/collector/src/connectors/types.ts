// What the collector tells external systems about tickets, and the one interface every outbound connector has.
import { type Static, Type } from '@sinclair/typebox';

export const NOTIFICATION_KINDS = [
  'opened',
  'updated',
  'escalated',
  'acknowledged',
  'resolved',
  'closed',
  'breached',
  'at_risk',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

export const TicketNotificationSchema = Type.Object(
  {
    eventId: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'unique per event: receivers dedupe on it',
    }),
    kind: Type.Union(
      NOTIFICATION_KINDS.map((k) => Type.Literal(k)),
      { description: NOTIFICATION_KINDS.join(' | ') },
    ),
    ticket: Type.Object(
      {
        id: Text(200),
        dedupKey: Text(1000),
        tenant: Text(200),
        host: Text(300),
        checkId: Text(200),
        title: Type.String({ maxLength: 2000 }),
        severity: Text(40),
        priority: Text(40),
        status: Text(40),
        supportLevel: Text(40),
        openedAt: Type.String({ format: 'date-time' }),
        url: Type.Optional(Type.String({ pattern: '^https?://' })),
      },
      { additionalProperties: false },
    ),
    at: Type.String({ format: 'date-time' }),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type TicketNotification = Static<typeof TicketNotificationSchema>;

/** What the collector tells about a tenant's contract rather than a ticket: a low balance, a report ready. */
export const TENANT_NOTICE_KINDS = ['contract.low_balance', 'contract.exhausted', 'report.ready'] as const;
export type TenantNoticeKind = (typeof TENANT_NOTICE_KINDS)[number];

export const TenantNoticeSchema = Type.Object(
  {
    eventId: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'unique per event: receivers dedupe on it',
    }),
    kind: Type.Union(
      TENANT_NOTICE_KINDS.map((k) => Type.Literal(k)),
      { description: TENANT_NOTICE_KINDS.join(' | ') },
    ),
    at: Type.String({ format: 'date-time' }),
    tenant: Text(200),
    subject: Type.String({ minLength: 1, maxLength: 500 }),
    text: Type.String({ maxLength: 20_000 }),
    details: Type.Record(Type.String(), Type.Unknown()),
    attachments: Type.Optional(
      Type.Array(
        Type.Object(
          {
            filename: Text(200),
            contentType: Text(200),
            base64: Type.String({ description: 'the file, base64' }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 5 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type TenantNotice = Static<typeof TenantNoticeSchema>;

/** Sends one notification to one external system; throws a DeliveryError when it was not accepted. */
export interface Connector {
  /** Unique among the configured connectors: deliveries are recorded per (event, connector name). */
  readonly name: string;
  /** When set, the connector belongs to this tenant (a client's own receiver): it gets only that tenant's events. */
  readonly tenant?: string | undefined;
  send(n: TicketNotification, signal: AbortSignal): Promise<void>;
  /** Releases what the connector holds open (an SMTP transport), at shutdown. */
  close?(): void;
  /** Connectors that can carry tenant notices (a webhook can; PagerDuty, made for incidents, does not). */
  sendNotice?(n: TenantNotice, signal: AbortSignal): Promise<void>;
}

/** Whether a connector may receive an event of `tenant`: the provider's connectors get all, a client's its own. */
export function reachesTenant(c: Pick<Connector, 'tenant'>, tenant: string): boolean {
  return c.tenant === undefined || c.tenant === tenant;
}

/** Why a send failed, and whether sending the same notification again later may succeed. */
export class DeliveryError extends Error {
  readonly retryable: boolean;
  /** The HTTP status, when the receiver answered. */
  readonly status: number | undefined;
  /** How long the receiver asked us to wait (a `Retry-After` header), when it did. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options: { retryable: boolean; status?: number; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.retryable = options.retryable;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Whether an HTTP error status is worth retrying: timeouts (408), rate limits (429) and server errors (5xx) are
 * transient; any other 4xx means the request itself is wrong and will be refused again.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
