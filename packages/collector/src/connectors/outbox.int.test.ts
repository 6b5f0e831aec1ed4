import { afterEach, describe, expect, it, vi } from 'vitest';
import { DIALECTS, freshStore } from '../../../../test/support/stores.js';
import type { Store } from '../store/open.js';
import { claimDelivery, dueDeliveries } from './deliveries.js';
import {
  type DispatcherOptions,
  type DispatchLog,
  enqueue,
  listDeliveries,
  NotificationDispatcher,
  pruneDeliveries,
} from './outbox.js';
import { PagerDutyConnector } from './pagerduty/sender.js';
import { sampleNotification } from './testing/notification.js';
import { type Answer, closedPort, type ReceivedRequest, Receiver, type Respond } from './testing/receiver.js';
import type { Connector, TicketNotification } from './types.js';
import { WebhookConnector } from './webhook/sender.js';
import { SIGNATURE_HEADER, verifySignature } from './webhook/signature.js';

const SECRET = 'a-shared-secret-of-some-length';
const T0 = Date.parse('2026-11-28T12:00:00.000Z');
/** With random() = 0.5 the n-th retry waits half its ceiling: 500 ms, 1 s, 2 s, ... */
const BACKOFF = { minMs: 1000, maxMs: 60_000 };
const ROUTING_KEY = 'R0UT1NGKEY0000000000000000000000';

/** A receiver that checks the signature like a real one would: 401 when it does not verify. */
function verifying(respond: Respond): Respond {
  return (req, index) =>
    verifySignature(req.body, req.headers[SIGNATURE_HEADER], SECRET)
      ? respond(req, index)
      : { status: 401, body: '{"error":"bad signature"}' };
}

const ok: Answer = { status: 200 };

describe.each(DIALECTS)('notification outbox on %s', (dialect) => {
  let cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });

  async function setup() {
    const { store, dispose } = await freshStore(dialect);
    cleanups.push(dispose);
    // openStore ran every migration, connectorsMigration (as 0004) included.
    let t = T0;
    const now = () => new Date(t);
    const advance = (ms: number) => {
      t += ms;
    };
    const logged: string[] = [];
    const log: DispatchLog = {
      info: (_, msg) => logged.push(`info ${msg}`),
      warn: (_, msg) => logged.push(`warn ${msg}`),
      error: (_, msg) => logged.push(`error ${msg}`),
    };
    const dispatcher = (connectors: Connector[], options: Partial<DispatcherOptions> = {}) =>
      new NotificationDispatcher({
        db: store.db,
        connectors,
        now,
        random: () => 0.5,
        backoff: BACKOFF,
        log,
        ...options,
      });
    const webhook = (name: string, url: string, extra: { secret?: string; timeout?: string } = {}) =>
      new WebhookConnector(
        { kind: 'webhook', name, url, secret: extra.secret ?? SECRET, timeout: extra.timeout ?? '5s' },
        now,
      );
    const send = (n: TicketNotification, connectors: string[]) => enqueue(store.db, n, connectors, now());
    return { store, now, advance, logged, dispatcher, webhook, send };
  }

  async function receiver(respond: Respond, port?: number): Promise<Receiver> {
    const r = await Receiver.start(respond, port);
    cleanups.push(() => r.close());
    return r;
  }

  const rows = (store: Store, eventId?: string) => listDeliveries(store.db, eventId ? { eventId } : {});

  describe('enqueue', () => {
    it('records nothing when the ticket change it belongs to rolls back', async () => {
      const { store, now } = await setup();
      const change = store.db.transaction().execute(async (trx) => {
        expect(await enqueue(trx, sampleNotification(), ['itsm'], now())).toBe(1);
        throw new Error('ticket update failed');
      });
      await expect(change).rejects.toThrow('ticket update failed');
      expect(await rows(store)).toEqual([]);
    });

    it('refuses a malformed notification', async () => {
      const { send } = await setup();
      const bad = { ...sampleNotification(), kind: 'exploded' } as unknown as TicketNotification;
      await expect(send(bad, ['itsm'])).rejects.toThrow(/notification evt-0001 is malformed: \/kind/);
    });

    it('prunes finished deliveries only', async () => {
      const { store, now, advance, dispatcher, webhook, send } = await setup();
      const hook = await receiver(() => ok);
      await send(sampleNotification({ eventId: 'evt-done' }), ['itsm', 'gone']);
      await dispatcher([webhook('itsm', hook.url())]).runOnce();
      advance(1);
      expect(await pruneDeliveries(store.db, now())).toBe(1);
      expect(await rows(store)).toMatchObject([{ connector: 'gone', status: 'pending' }]);
    });
  });

  describe('to a webhook', () => {
    it('retries a receiver that fails twice, then delivers exactly once', async () => {
      const { store, advance, now, dispatcher, webhook, send } = await setup();
      const hook = await receiver(verifying((_, i) => (i < 2 ? { status: 500, body: 'database down' } : ok)));
      const d = dispatcher([webhook('itsm', hook.url())]);
      await send(sampleNotification({ eventId: 'evt-retry' }), ['itsm']);

      expect(await d.runOnce()).toBe(1);
      expect(await rows(store)).toMatchObject([
        {
          status: 'pending',
          attempts: 1,
          next_attempt_at: new Date(T0 + 500).toISOString(),
          last_error: 'webhook "itsm" refused the notification: HTTP 500 database down',
        },
      ]);
      expect(await d.runOnce()).toBe(0); // not due yet: nothing sent
      expect(hook.requests).toHaveLength(1);

      advance(500);
      expect(await d.runOnce()).toBe(1);
      expect((await rows(store))[0]).toMatchObject({
        status: 'pending',
        attempts: 2,
        next_attempt_at: new Date(T0 + 500 + 1000).toISOString(),
      });

      advance(1000);
      expect(await d.runOnce()).toBe(1);
      expect(await rows(store)).toMatchObject([
        { status: 'sent', attempts: 3, sent_at: now().toISOString(), last_error: null, claimed_until: null },
      ]);

      advance(3_600_000);
      expect(await d.runOnce()).toBe(0);
      expect(hook.requests.map((r) => r.status)).toEqual([500, 500, 200]);
      expect(hook.accepted('evt-retry')).toHaveLength(1);
      expect(new Set(hook.requests.map((r) => r.headers['x-vigie-event-id']))).toEqual(
        new Set(['evt-retry']),
      );
    });

    it('gives up at once on a receiver that refuses the notification (400)', async () => {
      const { store, advance, dispatcher, webhook, send, logged } = await setup();
      const hook = await receiver(() => ({ status: 400, body: '{"error":"unknown field kind"}' }));
      const d = dispatcher([webhook('itsm', hook.url())]);
      await send(sampleNotification(), ['itsm']);

      expect(await d.runOnce()).toBe(1);
      advance(86_400_000);
      expect(await d.runOnce()).toBe(0);
      expect(hook.requests).toHaveLength(1);
      expect(await rows(store)).toMatchObject([
        { status: 'failed', attempts: 1, last_error: expect.stringContaining('HTTP 400') },
      ]);
      expect(logged).toContain('error notification delivery failed for good');
    });

    it('delivers to a receiver that was down, once it is up', async () => {
      const { store, advance, dispatcher, webhook, send } = await setup();
      const port = await closedPort();
      const d = dispatcher([webhook('itsm', `http://127.0.0.1:${port}/hook`)]);
      await send(sampleNotification({ eventId: 'evt-down' }), ['itsm']);

      expect(await d.runOnce()).toBe(1);
      expect(await rows(store)).toMatchObject([
        { status: 'pending', attempts: 1, last_error: expect.stringMatching(/unreachable: ECONNREFUSED/) },
      ]);

      const hook = await receiver(
        verifying(() => ok),
        port,
      );
      advance(500);
      expect(await d.runOnce()).toBe(1);
      expect(await rows(store)).toMatchObject([{ status: 'sent', attempts: 2 }]);
      expect(hook.accepted('evt-down')).toHaveLength(1);
    });

    it('records an event once per connector, however often it is enqueued', async () => {
      const { store, dispatcher, webhook, send } = await setup();
      const itsm = await receiver(() => ok);
      const audit = await receiver(() => ok);
      const d = dispatcher([webhook('itsm', itsm.url()), webhook('audit', audit.url())]);
      const n = sampleNotification({ eventId: 'evt-twice' });

      expect(await send(n, ['itsm'])).toBe(1);
      expect(await send(n, ['itsm'])).toBe(0);
      expect(await send(n, ['itsm', 'audit', 'audit'])).toBe(1);
      expect((await rows(store)).map((r) => r.connector).sort()).toEqual(['audit', 'itsm']);

      expect(await d.runOnce()).toBe(2);
      expect(await send(n, ['itsm', 'audit'])).toBe(0); // already sent: not sent again
      expect(await d.runOnce()).toBe(0);
      expect(itsm.accepted('evt-twice')).toHaveLength(1);
      expect(audit.accepted('evt-twice')).toHaveLength(1);
    });

    it('signs the exact body, so the receiver can tell a forged notification', async () => {
      const { store, now, dispatcher, webhook, send } = await setup();
      const hook = await receiver(verifying(() => ok));
      const forger = webhook('forged', hook.url('/forged'), { secret: 'not-the-shared-secret' });
      const headers = { 'X-Tenant-Route': 'acme', 'X-Vigie-Event-Id': 'spoofed' };
      const d = dispatcher([
        new WebhookConnector(
          { kind: 'webhook', name: 'itsm', url: hook.url(), secret: SECRET, headers },
          now,
        ),
        forger,
      ]);
      const n = sampleNotification({ eventId: 'evt-signed', details: { days: 3, note: 'été' } });
      await send(n, ['itsm', 'forged']);

      expect(await d.runOnce()).toBe(2);
      const [genuine, forged] = [
        hook.requests.find((r) => r.path === '/hook'),
        hook.requests.find((r) => r.path === '/forged'),
      ];
      expect(genuine?.status).toBe(200);
      expect(JSON.parse(genuine?.body ?? '')).toEqual(n);
      expect(genuine?.headers).toMatchObject({
        'content-type': 'application/json',
        'x-vigie-event-id': 'evt-signed',
        'x-vigie-timestamp': String(T0 / 1000),
        'x-tenant-route': 'acme',
      });
      expect(forged?.status).toBe(401);
      expect(await listDeliveries(store.db, { connector: 'forged' })).toMatchObject([
        { status: 'failed', last_error: expect.stringContaining('HTTP 401') },
      ]);
    });

    it('never double-sends when dispatchers race for the same deliveries', async () => {
      const { store, dispatcher, webhook, send } = await setup();
      const hook = await receiver(() => ok);
      const events = Array.from({ length: 20 }, (_, i) =>
        sampleNotification({
          eventId: `evt-race-${i}`,
          ticket: { id: `tkt-${i}`, dedupKey: `acme/web-${i}/disk` },
        }),
      );
      for (const n of events) await send(n, ['itsm']);
      // Two collectors sharing the store, and an overlapping pass in one of them.
      const a = dispatcher([webhook('itsm', hook.url())]);
      const b = dispatcher([webhook('itsm', hook.url())]);

      const tried = await Promise.all([a.runOnce(), b.runOnce(), a.runOnce()]);
      expect(tried.reduce((x, y) => x + y, 0)).toBe(20);
      expect(hook.requests).toHaveLength(20);
      for (const n of events) expect(hook.accepted(n.eventId)).toHaveLength(1);
      expect((await rows(store)).every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    });

    it('after a crash between the send and its record, sends again once, when the claim lapses', async () => {
      const { store, now, advance, dispatcher, webhook, send } = await setup();
      const hook = await receiver(() => ok);
      const connector = webhook('itsm', hook.url());
      const n = sampleNotification({ eventId: 'evt-crash' });
      await send(n, ['itsm']);
      // A dispatcher claims the delivery and sends it, then dies before recording that it was sent.
      const [row] = await dueDeliveries(store.db, ['itsm'], now(), 10);
      expect(row && (await claimDelivery(store.db, row, now(), 120_000))).toEqual({
        id: row?.id,
        attempts: 1,
      });
      await connector.send(n, AbortSignal.timeout(5000));

      const d = dispatcher([connector], { leaseMs: 120_000 });
      expect(await d.runOnce()).toBe(0); // the claim holds
      advance(119_999);
      expect(await d.runOnce()).toBe(0);
      advance(1);
      expect(await d.runOnce()).toBe(1);
      advance(3_600_000);
      expect(await d.runOnce()).toBe(0);

      // Twice in all, with the same event id: the receiver drops the repeat.
      expect(hook.accepted('evt-crash')).toHaveLength(2);
      expect(await rows(store)).toMatchObject([{ status: 'sent', attempts: 2 }]);
    });

    it('fails a delivery whose claim lapsed during its last attempt, without sending it again', async () => {
      const { store, now, advance, dispatcher, webhook, send } = await setup();
      const hook = await receiver(() => ok);
      await send(sampleNotification(), ['itsm']);
      const [row] = await dueDeliveries(store.db, ['itsm'], now(), 10);
      expect(row && (await claimDelivery(store.db, row, now(), 120_000))).toBeTruthy();
      advance(120_000);
      expect(await dispatcher([webhook('itsm', hook.url())], { maxAttempts: 1 }).runOnce()).toBe(1);
      expect(hook.requests).toHaveLength(0);
      expect(await rows(store)).toMatchObject([
        {
          status: 'failed',
          attempts: 2,
          last_error: expect.stringContaining('whether the receiver got it is unknown'),
        },
      ]);
    });

    it("keeps one ticket's events in order while the first waits for its retry; other tickets go on", async () => {
      const { advance, dispatcher, webhook, send } = await setup();
      let first = true;
      const flaky = await receiver((req) => {
        if (req.headers['x-vigie-event-id'] === 'evt-opened' && first) {
          first = false;
          return { status: 503 };
        }
        return ok;
      });
      const d = dispatcher([webhook('itsm', flaky.url())]);
      await send(sampleNotification({ eventId: 'evt-opened', kind: 'opened' }), ['itsm']);
      await send(sampleNotification({ eventId: 'evt-resolved', kind: 'resolved' }), ['itsm']);
      await send(
        sampleNotification({ eventId: 'evt-other', ticket: { id: 'tkt-2', dedupKey: 'acme/db-01/disk' } }),
        ['itsm'],
      );

      expect(await d.runOnce()).toBe(1); // opened fails: the receiver looks down, the pass ends there
      expect(await d.runOnce()).toBe(1); // opened is not due yet and resolved waits behind it; the other goes
      advance(500);
      expect(await d.runOnce()).toBe(1); // opened, again
      expect(await d.runOnce()).toBe(1); // then resolved
      const accepted = flaky.requests
        .filter((r) => r.status === 200)
        .map((r) => r.headers['x-vigie-event-id']);
      expect(accepted).toEqual(['evt-other', 'evt-opened', 'evt-resolved']);
    });

    it('gives up after maxAttempts on a receiver that keeps failing', async () => {
      const { store, advance, dispatcher, webhook, send } = await setup();
      const hook = await receiver(() => ({ status: 502 }));
      const d = dispatcher([webhook('itsm', hook.url())], { maxAttempts: 3 });
      await send(sampleNotification(), ['itsm']);
      for (let i = 0; i < 5; i++) {
        await d.runOnce();
        advance(BACKOFF.maxMs);
      }
      expect(hook.requests).toHaveLength(3);
      expect(await rows(store)).toMatchObject([
        {
          status: 'failed',
          attempts: 3,
          last_error: expect.stringMatching(/^gave up after 3 attempts: .*HTTP 502/),
        },
      ]);
    });

    it('treats a receiver that does not answer in time as down', async () => {
      const { store, dispatcher, webhook, send } = await setup();
      const hook = await receiver(() => 'hold');
      const d = dispatcher([webhook('itsm', hook.url(), { timeout: '300ms' })]);
      await send(sampleNotification(), ['itsm']);
      expect(await d.runOnce()).toBe(1);
      expect(await rows(store)).toMatchObject([
        { status: 'pending', attempts: 1, last_error: 'webhook "itsm" did not answer within 300 ms' },
      ]);
    });

    it('waits as long as a rate-limited receiver asks (Retry-After)', async () => {
      const { store, dispatcher, webhook, send } = await setup();
      const hook = await receiver(() => ({ status: 429, headers: { 'retry-after': '30' } }));
      const d = dispatcher([webhook('itsm', hook.url())]);
      await send(sampleNotification(), ['itsm']);
      await d.runOnce();
      expect(await rows(store)).toMatchObject([
        { status: 'pending', next_attempt_at: new Date(T0 + 30_000).toISOString() },
      ]);
    });

    it('stops trying a connector for this pass after a retryable failure, without spending other attempts', async () => {
      const { store, dispatcher, webhook, send } = await setup();
      const port = await closedPort();
      const d = dispatcher([webhook('itsm', `http://127.0.0.1:${port}/hook`)]);
      for (let i = 0; i < 3; i++) {
        await send(sampleNotification({ eventId: `evt-${i}`, ticket: { dedupKey: `acme/web-${i}/disk` } }), [
          'itsm',
        ]);
      }
      expect(await d.runOnce()).toBe(1);
      expect((await rows(store)).map((r) => r.attempts)).toEqual([1, 0, 0]);
    });

    it('runs passes on a timer until stopped', async () => {
      const { dispatcher, webhook, send } = await setup();
      const hook = await receiver(() => ok);
      const d = dispatcher([webhook('itsm', hook.url())]);
      d.start(20);
      await send(sampleNotification({ eventId: 'evt-loop-1' }), ['itsm']);
      await vi.waitFor(() => expect(hook.accepted('evt-loop-1')).toHaveLength(1), { timeout: 5000 });
      await d.stop();
      await send(sampleNotification({ eventId: 'evt-loop-2' }), ['itsm']);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(hook.accepted('evt-loop-2')).toHaveLength(0);
      expect(await d.runOnce()).toBe(1);
    });
  });

  describe('to PagerDuty (Events API v2)', () => {
    /** Checks what the Events API requires, answering as PagerDuty does: 202 accepted, 400 invalid. */
    function pagerDuty(
      answer: (req: ReceivedRequest, index: number) => Answer | undefined = () => undefined,
    ): Respond {
      return (req, index) => {
        const forced = answer(req, index);
        if (forced) return forced;
        const problems = eventProblems(req);
        if (problems.length > 0) {
          return {
            status: 400,
            body: JSON.stringify({
              status: 'invalid event',
              message: 'Event object is invalid',
              errors: problems,
            }),
          };
        }
        const dedupKey = (JSON.parse(req.body) as { dedup_key: string }).dedup_key;
        return {
          status: 202,
          body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: dedupKey }),
        };
      };
    }

    function eventProblems(req: ReceivedRequest): string[] {
      const problems: string[] = [];
      if (req.method !== 'POST' || !req.headers['content-type']?.startsWith('application/json')) {
        problems.push('expected a JSON POST');
      }
      const e = JSON.parse(req.body) as Record<string, unknown>;
      const p = e.payload as Record<string, unknown> | undefined;
      if (e.routing_key !== ROUTING_KEY) problems.push("'routing_key' is invalid");
      if (!['trigger', 'acknowledge', 'resolve'].includes(String(e.event_action)))
        problems.push("'event_action' is invalid");
      if (typeof e.dedup_key !== 'string' || e.dedup_key.length === 0 || e.dedup_key.length > 255) {
        problems.push("'dedup_key' is invalid");
      }
      if (e.event_action === 'trigger') {
        if (typeof p?.summary !== 'string' || p.summary.length === 0 || p.summary.length > 1024) {
          problems.push("'payload.summary' is missing or too long");
        }
        if (typeof p?.source !== 'string' || p.source.length === 0)
          problems.push("'payload.source' is missing");
        if (!['critical', 'error', 'warning', 'info'].includes(String(p?.severity))) {
          problems.push("'payload.severity' is invalid");
        }
        if (p?.timestamp !== undefined && Number.isNaN(Date.parse(String(p.timestamp)))) {
          problems.push("'payload.timestamp' is invalid");
        }
      } else if (p !== undefined) {
        problems.push(`'payload' is not expected on ${String(e.event_action)}`);
      }
      return problems;
    }

    const pd = (name: string, url: string, routingKey = ROUTING_KEY) =>
      new PagerDutyConnector({ kind: 'pagerduty', name, url, routingKey, timeout: '5s' });
    const events = (r: Receiver) =>
      r.requests.map((q) => ({ status: q.status, ...(JSON.parse(q.body) as Record<string, unknown>) }));

    it("triggers, acknowledges and resolves one alert, in the ticket's order", async () => {
      const { store, dispatcher, send } = await setup();
      const api = await receiver(pagerDuty());
      const d = dispatcher([pd('oncall', api.url('/v2/enqueue'))]);
      for (const kind of ['opened', 'acknowledged', 'resolved'] as const) {
        await send(sampleNotification({ eventId: `evt-${kind}`, kind }), ['oncall']);
      }
      let passes = 0;
      while ((await d.runOnce()) > 0) passes++;
      expect(passes).toBe(3); // each waits for the one before it

      expect(events(api)).toMatchObject([
        {
          status: 202,
          event_action: 'trigger',
          dedup_key: 'acme/web-01/backup',
          payload: { source: 'web-01', severity: 'critical', component: 'backup', group: 'acme' },
        },
        { status: 202, event_action: 'acknowledge', dedup_key: 'acme/web-01/backup' },
        { status: 202, event_action: 'resolve', dedup_key: 'acme/web-01/backup' },
      ]);
      expect((await rows(store)).map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    });

    it('retries when rate-limited (429), and sends the event once accepted', async () => {
      const { store, advance, dispatcher, send } = await setup();
      const api = await receiver(
        pagerDuty((_, i) => (i === 0 ? { status: 429, body: '{"status":"throttled"}' } : undefined)),
      );
      const d = dispatcher([pd('oncall', api.url())]);
      await send(sampleNotification(), ['oncall']);
      expect(await d.runOnce()).toBe(1);
      expect(await rows(store)).toMatchObject([{ status: 'pending', attempts: 1 }]);
      advance(500);
      expect(await d.runOnce()).toBe(1);
      expect(events(api).map((e) => e.status)).toEqual([429, 202]);
      expect(await rows(store)).toMatchObject([{ status: 'sent', attempts: 2 }]);
    });

    it('does not retry an event PagerDuty rejects as invalid (400)', async () => {
      const { store, advance, dispatcher, send } = await setup();
      const api = await receiver(pagerDuty());
      const d = dispatcher([pd('oncall', api.url(), 'WRONGKEY')]);
      await send(sampleNotification(), ['oncall']);
      await d.runOnce();
      advance(86_400_000);
      expect(await d.runOnce()).toBe(0);
      expect(api.requests).toHaveLength(1);
      expect(await rows(store)).toMatchObject([
        { status: 'failed', last_error: expect.stringContaining('HTTP 400 {"status":"invalid event"') },
      ]);
    });

    it('does not take another 2xx for the 202 of the Events API', async () => {
      const { store, dispatcher, send } = await setup();
      const api = await receiver(() => ({ status: 200, body: '<html>proxy login</html>' }));
      const d = dispatcher([pd('oncall', api.url())]);
      await send(sampleNotification(), ['oncall']);
      await d.runOnce();
      expect(await rows(store)).toMatchObject([
        { status: 'failed', last_error: expect.stringContaining('answered HTTP 200, not 202') },
      ]);
    });
  });
});
