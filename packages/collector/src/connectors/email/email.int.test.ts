// The e-mail connector against a real SMTP server (aiosmtpd) through the durable outbox: a notification
// arrives once, in the chosen language, to the connector's and the tenant's recipients; while the server is
// down the delivery waits and retries, then arrives exactly once with the event's Message-ID.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpServer, startSmtp } from '../../../../../test/support/smtp.js';
import { DIALECTS, freshStore } from '../../../../../test/support/stores.js';
import { waitFor } from '../../../../../test/support/wait.js';
import type { Store } from '../../store/open.js';
import { enqueue, listDeliveries, NotificationDispatcher } from '../outbox.js';
import { sampleNotification } from '../testing/notification.js';
import { EmailConnector } from './sender.js';

const T0 = Date.parse('2026-11-27T16:30:00.000Z');

describe.each(DIALECTS)('e-mail notifications on %s', (dialect) => {
  let smtp: SmtpServer;
  let store: Store;
  let dispose: () => Promise<void>;
  let t = T0;
  const now = () => new Date(t);

  beforeAll(async () => {
    smtp = await startSmtp();
    ({ store, dispose } = await freshStore(dialect));
  });
  afterAll(async () => {
    await smtp?.destroy();
    await dispose?.();
  });

  const connector = (locale: 'en' | 'fr') =>
    new EmailConnector({
      kind: 'email',
      name: `mail-${locale}`,
      smtp: { host: '127.0.0.1', port: smtp.port, tls: 'none' },
      from: 'vigie@provider.example',
      to: ['noc@provider.example'],
      tenants: { acme: ['it@acme.example'] },
      locale,
      timeZone: 'Europe/Paris',
      timeout: '5s',
    });

  it('sends the notification once, in French, with dates in the chosen zone, to every recipient', async () => {
    const mail = connector('fr');
    const d = new NotificationDispatcher({
      db: store.db,
      connectors: [mail],
      now,
      random: () => 0.5,
      backoff: { minMs: 1000, maxMs: 60_000 },
    });
    const before = smtp.messages().length;
    await enqueue(
      store.db,
      sampleNotification({ eventId: 'evt-fr-1', ticket: { tenant: 'acme' } }),
      [mail.name],
      now(),
    );
    expect(await d.runOnce()).toBe(1);
    const got = await waitFor('the message', () =>
      smtp.messages().length > before ? smtp.messages() : undefined,
    );
    expect(got).toHaveLength(before + 1);
    const m = got[got.length - 1];
    if (!m) throw new Error('no message');
    expect(m.headers.subject).toBe('[Vigie P1] Ticket ouvert: Last backup is 3 days old (web-01)');
    expect(m.headers['message-id']).toBe('<evt-fr-1@vigie>');
    expect(m.headers['x-vigie-event-id']).toBe('evt-fr-1');
    expect(m.headers.to).toBe('noc@provider.example, it@acme.example');
    // 11:58 UTC is 12:58 in Paris in November.
    expect(m.body).toContain('Ouvert le: 28 nov. 2026, 12:58 (Europe/Paris)');
    expect(m.body).toContain('Gravité: critique');
    expect(m.body).toContain('Statut: ouvert');
    expect(await d.runOnce()).toBe(0);
    expect(smtp.messages()).toHaveLength(before + 1);
    expect(await listDeliveries(store.db, { eventId: 'evt-fr-1' })).toMatchObject([
      { status: 'sent', attempts: 1 },
    ]);
    mail.close();
  });

  it('keeps a delivery while the SMTP server is down and sends it once when it is back', async () => {
    const mail = connector('en');
    const d = new NotificationDispatcher({
      db: store.db,
      connectors: [mail],
      now,
      random: () => 0.5,
      backoff: { minMs: 1000, maxMs: 60_000 },
    });
    await smtp.stop();
    await enqueue(
      store.db,
      sampleNotification({ eventId: 'evt-en-down', kind: 'breached', ticket: { tenant: 'globex' } }),
      [mail.name],
      now(),
    );
    expect(await d.runOnce()).toBe(1);
    const [waiting] = await listDeliveries(store.db, { eventId: 'evt-en-down' });
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1 });
    expect(waiting?.last_error).toMatch(/^e-mail "mail-en" unreachable: .*ECONNREFUSED/);
    await smtp.start();
    expect(await d.runOnce()).toBe(0); // not due yet
    t += 500;
    expect(await d.runOnce()).toBe(1);
    const m = await waitFor('the message', () =>
      smtp.messages().find((x) => x.headers['x-vigie-event-id'] === 'evt-en-down'),
    );
    expect(m.headers.subject).toBe('[Vigie P1] SLA breached: Last backup is 3 days old (web-01)');
    expect(m.headers.to).toBe('noc@provider.example');
    expect(m.body).toContain('Opened: 28 Nov 2026, 12:58 (Europe/Paris)');
    expect(smtp.messages().filter((x) => x.headers['x-vigie-event-id'] === 'evt-en-down')).toHaveLength(1);
    expect(await listDeliveries(store.db, { eventId: 'evt-en-down' })).toMatchObject([
      { status: 'sent', attempts: 2 },
    ]);
    mail.close();
  });
});
