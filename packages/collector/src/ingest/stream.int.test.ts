// Protocol 2 streams, agents' clocks, write-behind and group isolation, on both dialects: replays are known by
// the stream's high-water mark (also after a restart, and across an upgrade from protocol 1), skewed clocks
// still get tickets at the right times, the latest results reach the store behind, and one bad batch cannot
// fail the others of its group.
import { createIdGenerator } from '@vigie/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore } from '../../../../test/support/stores.js';
import { EmbeddedSink } from '../sinks/embedded/sink.js';
import { listCheckStates } from '../store/agents.js';
import { addTenant } from '../store/tenants.js';
import { listTickets } from '../store/tickets.js';
import { ingestHarness, testResult } from './testing.js';

const T0 = Date.parse('2026-11-28T12:00:00.000Z');
const DAY = 86_400_000;

describe.each(DIALECTS)('ingest streams and clocks on %s', (dialect) => {
  let disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const d of disposers.reverse()) await d();
    disposers = [];
  });

  async function setup() {
    const fresh = await freshStore(dialect, { file: true });
    const sink = new EmbeddedSink({ path: ':memory:', retentionMs: 3650 * DAY, maxPoints: 1e6 });
    disposers.push(fresh.dispose, () => sink.close());
    let clock = T0;
    const now = () => new Date(clock);
    const newId = createIdGenerator(() => clock);
    await addTenant(fresh.store.db, 'acme', 'ACME', now());
    await addTenant(fresh.store.db, 'beta', 'Beta', now());
    const harness = (store = fresh.store) => {
      const h = ingestHarness({ store, sink, now, newId });
      disposers.push(() => h.close());
      return h;
    };
    const tickets = async (tenant = 'acme') =>
      listTickets(fresh.store.db, { tenantId: tenant, limit: 100, sort: 'openedAt', order: 'asc' });
    return { fresh, sink, now, newId, harness, tickets, advance: (ms: number) => (clock += ms) };
  }

  it('knows a replay by its sequence number, with new ids too, and after a restart', async () => {
    const { fresh, newId, harness, tickets, advance } = await setup();
    const h1 = harness();
    const a = await h1.connect({ tenant: 'acme', host: 'db-01', epoch: 'epoch-aaaaaaaa' });
    advance(60_000);
    const batch = [1, 2, 3].map((seq) => ({ ...testResult(newId(), 'backup', 'critical', T0 + seq), seq }));
    expect((await a.send(batch)).accepted).toHaveLength(3);
    const replay = await a.send(batch.map((r) => ({ ...r, id: newId() })));
    expect([replay.accepted.length, replay.duplicates]).toEqual([0, 3]);
    expect((await tickets())[0]?.occurrences).toBe(3);
    await h1.close();
    // A new collector on the same store: the mark was committed with the batch.
    const store2 = await fresh.reopen();
    disposers.push(() => store2.close());
    const h2 = harness(store2);
    const b = await h2.connect({ tenant: 'acme', host: 'db-01', epoch: 'epoch-aaaaaaaa' });
    expect(b.host.streams.get('epoch-aaaaaaaa')).toBe(3);
    advance(60_000);
    const again = await b.send([...batch, { ...testResult(newId(), 'backup', 'critical', T0 + 4), seq: 4 }]);
    expect([again.accepted.length, again.duplicates]).toEqual([1, 3]);
    expect((await listTickets(store2.db, { tenantId: 'acme', limit: 10 }))[0]?.occurrences).toBe(4);
  });

  it('an agent upgraded from protocol 1 resends its batch in flight under a new epoch: counted once', async () => {
    const { newId, harness, tickets, advance } = await setup();
    const h = harness();
    const v1 = await h.connect({ tenant: 'acme', host: 'db-01' });
    advance(60_000);
    const inFlight = [
      testResult(newId(), 'backup', 'critical', T0 + 1),
      testResult(newId(), 'backup', 'critical', T0 + 2),
    ];
    await v1.send(inFlight); // handled, but the ack was lost with the upgrade
    v1.close();
    const v2 = await h.connect({ tenant: 'acme', host: 'db-01', epoch: 'epoch-bbbbbbbb' });
    const resent = await v2.send(inFlight.map((r, i) => ({ ...r, seq: i + 1 })));
    expect([resent.accepted.length, resent.duplicates]).toEqual([0, 2]);
    const next = await v2.send([{ ...testResult(newId(), 'backup', 'critical', T0 + 3), seq: 3 }]);
    expect(next.accepted).toHaveLength(1);
    expect((await tickets())[0]?.occurrences).toBe(3);
  });

  it('an agent whose clock runs 10 days ahead gets its ticket at the right time', async () => {
    const { newId, harness, tickets, advance, now } = await setup();
    const h = harness();
    const a = await h.connect({ tenant: 'acme', host: 'web-01', epoch: 'epoch-cccccccc' });
    advance(120_000);
    const agentNow = now().getTime() + 10 * DAY;
    const b = await a.send([{ ...testResult(newId(), 'disk', 'critical', agentNow - 60_000), seq: 1 }], {
      sentAt: agentNow,
    });
    expect(b.skewMs).toBe(10 * DAY);
    expect(b.accepted[0]).toMatchObject({ clock: 'corrected', late: false });
    const [t] = await tickets();
    expect(t?.opened_at).toBe(new Date(now().getTime() - 60_000).toISOString());
    expect(Date.parse(t?.response_due_at as string) - Date.parse(t?.opened_at as string)).toBe(2 * 3_600_000);
    expect(a.host.clockSkewMs).toBe(10 * DAY);
  });

  it('an agent whose clock runs 10 days behind still opens tickets (its results are not late)', async () => {
    const { newId, harness, tickets, advance, now } = await setup();
    const h = harness();
    const a = await h.connect({ tenant: 'acme', host: 'web-01', epoch: 'epoch-dddddddd' });
    advance(120_000);
    const agentNow = now().getTime() - 10 * DAY;
    const b = await a.send([{ ...testResult(newId(), 'disk', 'critical', agentNow - 1000), seq: 1 }], {
      sentAt: agentNow,
    });
    expect(b.accepted[0]?.late).toBe(false);
    expect(await tickets()).toHaveLength(1);
  });

  it('a result dated 10 years ahead is clamped and does not freeze its check', async () => {
    const { newId, harness, tickets, advance, now } = await setup();
    const h = harness();
    const a = await h.connect({ tenant: 'acme', host: 'web-01' });
    advance(60_000);
    const future = await a.send([testResult(newId(), 'disk', 'ok', now().getTime() + 3650 * DAY)]);
    expect(future.accepted[0]).toMatchObject({ clock: 'clamped', observedAt: now().toISOString() });
    advance(60_000);
    await a.send([testResult(newId(), 'disk', 'critical', now().getTime() - 1000)]);
    expect(await tickets()).toHaveLength(1);
  });

  it('compares times as instants: a +14:00 time an hour in the past is older, not newer', async () => {
    const { newId, harness, tickets, advance, now } = await setup();
    const h = harness();
    const a = await h.connect({ tenant: 'acme', host: 'web-01' });
    advance(3 * 3_600_000);
    await a.send([testResult(newId(), 'disk', 'critical', now().getTime() - 60_000)]);
    // As text "…T+14:00" sorts after "…Z"; as an instant it is 1 h before the critical result: ignored.
    const hourAgo = new Date(now().getTime() - 3_600_000);
    const plus14 = new Date(hourAgo.getTime() + 14 * 3_600_000).toISOString().replace('Z', '+14:00');
    await a.send([{ ...testResult(newId(), 'disk', 'ok', 0), observedAt: plus14 }]);
    expect((await tickets())[0]?.status).toBe('open');
  });

  it('writes the latest results behind, and the material changes at once', async () => {
    const { fresh, newId, harness, advance, now } = await setup();
    const h = harness();
    const a = await h.connect({ tenant: 'acme', host: 'web-01', epoch: 'epoch-eeeeeeee' });
    const state = async () =>
      (await listCheckStates(fresh.store.db, 'acme')).find((s) => s.check_id === 'cpu');
    advance(60_000);
    await a.send([{ ...testResult(newId(), 'cpu', 'ok', now().getTime(), { load: 1 }), seq: 1 }]);
    expect(JSON.parse((await state())?.metrics as string)).toEqual({ load: 1 }); // a new check: material
    for (let seq = 2; seq <= 4; seq++) {
      advance(60_000);
      await a.send([{ ...testResult(newId(), 'cpu', 'ok', now().getTime(), { load: seq }), seq }]);
    }
    // Streaks 2 to 4 of "ok" change no decision (thresholds of 1): written behind.
    expect(JSON.parse((await state())?.metrics as string)).toEqual({ load: 1 });
    await h.ingest.hosts.flush();
    expect(JSON.parse((await state())?.metrics as string)).toEqual({ load: 4 });
    advance(60_000);
    await a.send([{ ...testResult(newId(), 'cpu', 'critical', now().getTime(), { load: 99 }), seq: 5 }]);
    expect(await state()).toMatchObject({ status: 'critical' });
  });

  it('writes behind in short transactions of about 500 rows, so a large write-behind never holds the thread long', async () => {
    const { fresh, newId, harness, advance, now } = await setup();
    const h = harness();
    const checks = Array.from({ length: 20 }, (_, i) => `check-${i}`);
    const agents = [];
    for (let i = 0; i < 30; i++)
      agents.push(
        await h.connect({ tenant: 'acme', host: `web-${i}`, epoch: `epoch-${String(i).padStart(8, '0')}` }),
      );
    for (let seq = 1; seq <= 2; seq++) {
      advance(60_000);
      const t = now().getTime();
      await Promise.all(
        agents.map((a) =>
          a.send(
            checks.map((c, k) => ({
              ...testResult(newId(), c, 'ok', t, { v: seq }),
              seq: (seq - 1) * 20 + k + 1,
            })),
          ),
        ),
      );
    }
    // The second results change no decision: 600 check states and 30 last-seen times wait behind.
    const before = h.ingest.store.counters.transactions;
    await h.ingest.hosts.flush();
    // 21 rows per host: 24 hosts (504 rows) in the first transaction, the other 6 in the second.
    expect(h.ingest.store.counters.transactions - before).toBe(2);
    const states = await listCheckStates(fresh.store.db, 'acme');
    expect(states).toHaveLength(600);
    expect(states.every((s) => JSON.parse(s.metrics as string).v === 2)).toBe(true);
  });

  it('one batch that cannot be handled fails alone; the rest of its group is committed', async () => {
    const { fresh, sink, newId, now, tickets, advance } = await setup();
    // Failure injection: the notifier refuses tenant ghost's notification (as it refuses a malformed one).
    const notifier = {
      notify: async () => undefined,
      deliveries: (t: { tenant_id: string }) => {
        if (t.tenant_id === 'ghost') throw new Error('notification refused');
        return [];
      },
    };
    const h = ingestHarness({ store: fresh.store, sink, now, newId, notifier });
    disposers.push(() => h.close());
    await addTenant(fresh.store.db, 'ghost', 'Ghost', now());
    const good = await h.connect({ tenant: 'beta', host: 'web-02' });
    const ghost = await h.connect({ tenant: 'ghost', host: 'web-09' });
    advance(60_000);
    const t = now().getTime() - 1000;
    const [okBatch, badBatch] = await Promise.allSettled([
      good.send([testResult(newId(), 'disk', 'critical', t)]),
      ghost.send([testResult(newId(), 'disk', 'critical', t)]),
    ]);
    expect(okBatch.status).toBe('fulfilled');
    expect(badBatch.status).toBe('rejected');
    expect(h.ingest.committer.stats.splits).toBe(1);
    expect(await tickets('beta')).toHaveLength(1);
    expect(await listTickets(fresh.store.db, { tenantId: 'ghost', limit: 10 })).toHaveLength(0);
  });
});
