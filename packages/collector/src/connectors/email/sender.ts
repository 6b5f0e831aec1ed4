// Sends a notification as an e-mail through an SMTP server (nodemailer). The Message-ID is derived from the
// event id, so a repeat after a crash carries the same one and mail systems can drop it.
import { readFileSync } from 'node:fs';
import { createTransport, type Transporter } from 'nodemailer';
import { type NotificationLocale, notificationText } from '../../i18n/notifications.js';
import { assertTimeZone } from '../../sla/wall-clock.js';
import { timeoutMs } from '../config.js';
import { type Connector, DeliveryError, type TicketNotification } from '../types.js';
import type { EmailConfig } from './config.js';

/** SMTP error codes of nodemailer that mean the configuration is wrong: retrying cannot help. */
const CONFIG_ERRORS = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ETLS', 'EENVELOPE', 'EMESSAGE']);

export class EmailConnector implements Connector {
  readonly name: string;
  private readonly transport: Transporter;
  private readonly locale: NotificationLocale;
  private readonly timeZone: string;
  private readonly timeoutMs: number;

  constructor(private readonly config: EmailConfig) {
    this.name = config.name;
    this.locale = config.locale ?? 'en';
    this.timeZone = config.timeZone ?? 'UTC';
    assertTimeZone(this.timeZone);
    this.timeoutMs = timeoutMs(config.timeout);
    const tls = config.smtp.tls ?? 'starttls';
    this.transport = createTransport({
      host: config.smtp.host,
      port: config.smtp.port ?? (tls === 'implicit' ? 465 : 587),
      secure: tls === 'implicit',
      requireTLS: tls === 'starttls',
      ignoreTLS: tls === 'none',
      ...(config.smtp.username
        ? { auth: { user: config.smtp.username, pass: config.smtp.password ?? '' } }
        : {}),
      ...(config.smtp.caFile ? { tls: { ca: readFileSync(config.smtp.caFile) } } : {}),
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
    });
  }

  /** Everyone who reads about this ticket. */
  recipients(n: TicketNotification): string[] {
    return [...new Set([...this.config.to, ...(this.config.tenants?.[n.ticket.tenant] ?? [])])];
  }

  async send(n: TicketNotification, signal: AbortSignal): Promise<void> {
    const to = this.recipients(n);
    if (to.length === 0) return;
    const { subject, text } = notificationText(n, this.locale, this.timeZone);
    const sending = this.transport.sendMail({
      from: this.config.from,
      to,
      subject,
      text,
      messageId: `<${n.eventId.replace(/[^A-Za-z0-9._-]/g, '_')}@vigie>`,
      headers: { 'X-Vigie-Event-Id': n.eventId, 'X-Vigie-Ticket': n.ticket.id },
    });
    // nodemailer cannot be aborted: stop waiting (the socket timeouts end the exchange itself).
    const aborted = new Promise<never>((_, reject) => {
      const stop = () =>
        reject(new DeliveryError(`sending to e-mail "${this.name}" was aborted`, { retryable: true }));
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
    try {
      await Promise.race([sending, aborted]);
    } catch (err) {
      throw this.failure(err);
    }
  }

  private failure(err: unknown): DeliveryError {
    if (err instanceof DeliveryError) return err;
    const e = err as Error & { code?: string; responseCode?: number; response?: string };
    const reason = e.response ?? e.message;
    const receiver = `e-mail "${this.name}"`;
    if (typeof e.responseCode === 'number') {
      // 4xx: try again later (greylisting, a full queue); 5xx: refused for good.
      return new DeliveryError(`${receiver}: the SMTP server answered ${e.responseCode}: ${reason}`, {
        retryable: e.responseCode < 500,
        status: e.responseCode,
        cause: err,
      });
    }
    const retryable = !(e.code !== undefined && CONFIG_ERRORS.has(e.code));
    const label = e.code ? `${e.code}: ${reason}` : reason;
    return new DeliveryError(`${receiver} unreachable: ${label}`, { retryable, cause: err });
  }

  close(): void {
    this.transport.close();
  }
}
