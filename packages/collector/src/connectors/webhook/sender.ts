// Sends a notification to a webhook: the notification itself as the JSON body, signed, with its event id.
import { timeoutMs } from '../config.js';
import { postJson } from '../http.js';
import type { Connector, TenantNotice, TicketNotification } from '../types.js';
import type { WebhookConfig } from './config.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './signature.js';

export class WebhookConnector implements Connector {
  readonly name: string;
  readonly tenant: string | undefined;
  private readonly timeoutMs: number;
  private readonly extraHeaders: Record<string, string>;

  /** `now` stamps X-Vigie-Timestamp (Unix seconds of this attempt; the body's `at` is when the event happened). */
  constructor(
    private readonly config: WebhookConfig,
    private readonly now: () => Date,
  ) {
    this.name = config.name;
    this.tenant = config.tenant;
    this.timeoutMs = timeoutMs(config.timeout);
    // Header names are case-insensitive: lower-case them so the X-Vigie-* headers below always win.
    this.extraHeaders = Object.fromEntries(
      Object.entries(config.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    );
  }

  async send(n: TicketNotification, signal: AbortSignal): Promise<void> {
    await this.post(n, signal);
  }

  /** A tenant notice goes the same way: its JSON as the body, signed, with its event id. */
  async sendNotice(n: TenantNotice, signal: AbortSignal): Promise<void> {
    await this.post(n, signal);
  }

  private async post(n: TicketNotification | TenantNotice, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(n);
    await postJson({
      receiver: `webhook "${this.name}"`,
      url: this.config.url,
      body,
      headers: {
        'user-agent': 'vigie-collector',
        ...this.extraHeaders,
        [SIGNATURE_HEADER]: signBody(body, this.config.secret),
        [EVENT_ID_HEADER]: n.eventId,
        [TIMESTAMP_HEADER]: String(Math.floor(this.now().getTime() / 1000)),
      },
      timeoutMs: this.timeoutMs,
      signal,
    });
  }
}
