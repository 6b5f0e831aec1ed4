// Sends a notification to PagerDuty's Events API v2, which answers 202 Accepted when it queued the event.
import { timeoutMs } from '../config.js';
import { postJson } from '../http.js';
import { type Connector, DeliveryError, type TicketNotification } from '../types.js';
import { PAGERDUTY_EVENTS_URL, type PagerDutyConfig } from './config.js';
import { toPagerDutyEvent } from './event.js';

export class PagerDutyConnector implements Connector {
  readonly name: string;
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(private readonly config: PagerDutyConfig) {
    this.name = config.name;
    this.url = config.url ?? PAGERDUTY_EVENTS_URL;
    this.timeoutMs = timeoutMs(config.timeout);
  }

  async send(n: TicketNotification, signal: AbortSignal): Promise<void> {
    const receiver = `PagerDuty "${this.name}"`;
    const { status, text } = await postJson({
      receiver,
      url: this.url,
      body: JSON.stringify(toPagerDutyEvent(n, this.config.routingKey)),
      headers: { 'user-agent': 'vigie-collector' },
      timeoutMs: this.timeoutMs,
      signal,
    });
    // Any other 2xx is not the Events API (a proxy or a login page, say): retrying would not change that.
    if (status !== 202) {
      throw new DeliveryError(`${receiver} answered HTTP ${status}, not 202: ${text.slice(0, 300)}`, {
        retryable: false,
        status,
      });
    }
  }
}
