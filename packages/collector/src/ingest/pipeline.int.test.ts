// The ingest pipeline (group commit, host state in memory, one transaction per group) against a real store
// on both dialects (SQLite and PostgreSQL) and the embedded metrics store.
import { createIdGenerator, type Result, type Status } from '@vigie/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore } from '../../../../test/support/stores.js';
import { EmbeddedSink } from '../sinks/embedded/sink.js';
import type { Store } from '../store/open.js';
import { addTenant } from '../store/tenants.js';
import { listTickets, ticketTimeline } from '../store/tickets.js';
import type { IncomingResult } from './pipeline.js';
import { ingestHarness } from './testing.js';

describe.each(DIALECTS)('ingest pipeline on %s', (dialect) => {
  let disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const d of disposers.reverse()) await d();
    disposers = [];
  });

  async function setup(
    policy = { failures: 1, recoveries: 1, flapChanges: 100, flapWindowMs: 3_600_000 },
    reopenWindowMs = 0,
    environment: 'production' | 'iso-production' | 'staging' = 'production',
    epoch?: string,
  ) {
    const { store, dispose } = await freshStore(dialect);
    const sink = new EmbeddedSink({ path: ':memory:', retentionMs: 86_400_000 * 365, maxPoints: 1e6 });
    disposers.push(dispose, () => sink.close());
    let clock = Date.parse('2026-11-28T12:00:00.000Z');
    const now = () => new Date(clock);
    const newId = createIdGenerator(() => clock);
    await addTenant(store.db, 'acme', 'ACME', now());
    const harness = ingestHarness({
      store,
      sink,
      now,
      newId,
      policy,
      reopenWindowMs,
      rules: [{ id: 'disk', metric: 'used_percent', warning: 80, critical: 90 }],
    });
    disposers.push(() => harness.close());
    const agent = await harness.connect({ tenant: 'acme', host: 'web-01', environment, epoch });
    let seq = 0;
    const result = (
      checkId: string,
      status: Status,
      metrics: Record<string, number> = {},
    ): IncomingResult => {
      clock += 60_000;
      return {
        id: newId(),
        checkId,
        type: 'backup-freshness',
        category: 'backup',
        status,
        metrics,
        message: `${checkId} ${status}`,
        observedAt: new Date(clock).toISOString(),
        durationMs: 1,
        ...(epoch ? { seq: ++seq } : {}),
      };
    };
    const send = (results: Result[], sentAt?: number) => agent.send(results, { sentAt });
    return {
      store,
      sink,
      send,
      result,
      harness,
      agent,
      now: () => clock,
      advance: (ms: number) => (clock += ms),
    };
  }

  const open = (store: Store) => listTickets(store.db, { tenantId: 'acme', status: ['open'], limit: 100 });

  it('opens one ticket per key, counts occurrences, raises severity, resolves on recovery', async () => {
    const { store, send, result } = await setup();
    await send([result('backup', 'warning')]);
    await send([result('backup', 'warning'), result('backup', 'critical')]);
    let tickets = await open(store);
    expect(tickets).toHaveLength(1);
    expect(tickets[0]).toMatchObject({
      dedup_key: 'acme/web-01/backup',
      occurrences: 3,
      severity: 'critical',
    });
    const ok = result('backup', 'ok');
    const b = await send([ok]);
    expect(b.effects.map((e) => e.kind)).toEqual(['resolved']);
    tickets = await listTickets(store.db, { tenantId: 'acme', limit: 100 });
    expect(tickets[0]).toMatchObject({ status: 'resolved', resolved_at: ok.observedAt });
    const kinds = (await ticketTimeline(store.db, tickets[0]?.id as string)).map((e) => e.kind);
    expect(kinds).toEqual(['opened', 'occurrence', 'severity_raised', 'resolved']);
    // Outside the reopen window (0 here), a new failure opens a new ticket.
    await send([result('backup', 'critical')]);
    expect(await open(store)).toHaveLength(1);
    expect(await listTickets(store.db, { tenantId: 'acme', limit: 100 })).toHaveLength(2);
  });

  it('opens only after N consecutive failures and resolves after M oks (soft then hard state)', async () => {
    const { store, send, result } = await setup({
      failures: 3,
      recoveries: 2,
      flapChanges: 100,
      flapWindowMs: 3_600_000,
    });
    await send([result('db', 'critical'), result('db', 'critical')]);
    expect(await open(store)).toHaveLength(0);
    await send([result('db', 'ok'), result('db', 'critical'), result('db', 'critical')]);
    expect(await open(store)).toHaveLength(0);
    await send([result('db', 'critical')]);
    const [t] = await open(store);
    expect(t).toMatchObject({ occurrences: 3, severity: 'critical', priority: 'P1', support_level: 'N1' });
    expect(Date.parse(t?.response_due_at as string) - Date.parse(t?.opened_at as string)).toBe(2 * 3_600_000);
    await send([result('db', 'ok')]);
    expect(await open(store)).toHaveLength(1);
    await send([result('db', 'ok')]);
    expect(await open(store)).toHaveLength(0);
  });

  it('reopens the same ticket when the failure recurs within the reopen window', async () => {
    const { store, send, result } = await setup(undefined, 30 * 60_000);
    await send([result('db', 'warning'), result('db', 'ok')]);
    await send([result('db', 'critical')]); // 1 minute after the recovery
    const all = await listTickets(store.db, { tenantId: 'acme', limit: 100 });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      status: 'open',
      reopened: 1,
      severity: 'critical',
      occurrences: 2,
      resolved_at: null,
    });
    const kinds = (await ticketTimeline(store.db, all[0]?.id as string)).map((e) => e.kind);
    expect(kinds).toEqual(['opened', 'resolved', 'reopened']);
  });

  it('a ticket opened, resolved and reopened within one batch is stored with its reopen count', async () => {
    const { store, send, result } = await setup(undefined, 30 * 60_000);
    await send([result('db', 'warning'), result('db', 'ok'), result('db', 'critical')]);
    const all = await listTickets(store.db, { tenantId: 'acme', limit: 100 });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ status: 'open', reopened: 1, severity: 'critical', occurrences: 2 });
    const kinds = (await ticketTimeline(store.db, all[0]?.id as string)).map((e) => e.kind);
    expect(kinds).toEqual(['opened', 'resolved', 'reopened']);
  });

  it('a flapping check gets one flapping ticket instead of a stream of opens and resolves', async () => {
    const { store, send, result } = await setup(
      { failures: 1, recoveries: 1, flapChanges: 4, flapWindowMs: 3_600_000 },
      30 * 60_000,
    );
    for (let i = 0; i < 6; i++) await send([result('api', 'critical'), result('api', 'ok')]);
    const all = await listTickets(store.db, { tenantId: 'acme', limit: 100 });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ kind: 'flapping', status: 'open' });
    const kinds = (await ticketTimeline(store.db, all[0]?.id as string)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'flapping_started')).toHaveLength(1);
    // Before detection (4 changes) the check opened, resolved and reopened once; after it, only occurrences.
    const after = kinds.slice(kinds.indexOf('flapping_started') + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((k) => k === 'occurrence')).toBe(true);
  });

  it('sets priority from severity and environment (the documented matrix)', async () => {
    const { store, send, result } = await setup(undefined, 0, 'iso-production');
    await send([result('db', 'critical'), result('w', 'warning')]);
    const byCheck = Object.fromEntries((await open(store)).map((t) => [t.check_id, t.priority]));
    expect(byCheck).toEqual({ db: 'P2', w: 'P3' });
  });

  it('is idempotent on result ids: a replayed batch adds no occurrence and no metric point', async () => {
    const { store, sink, send, result } = await setup();
    const batch = [
      result('backup', 'critical', { age_seconds: 100 }),
      result('backup', 'critical', { age_seconds: 200 }),
    ];
    const first = await send(batch);
    expect([first.accepted.length, first.duplicates]).toEqual([2, 0]);
    const points = sink.count();
    const replay = await send(batch);
    expect([replay.accepted.length, replay.duplicates]).toEqual([0, 2]);
    expect(sink.count()).toBe(points);
    expect((await open(store))[0]?.occurrences).toBe(2);
  });

  it('applies threshold rules: a metric past its critical level opens a ticket even when the agent says ok', async () => {
    const { store, send, result } = await setup();
    const b = await send([
      { ...result('fs', 'ok', { 'used_percent@/': 95 }), type: 'filesystem', category: 'performance' },
    ]);
    expect(b.accepted[0]?.evaluation?.findings[0]).toMatchObject({
      rule: 'disk',
      status: 'critical',
      limit: 90,
    });
    expect((await open(store))[0]).toMatchObject({ check_id: 'fs', severity: 'critical' });
  });

  it('ignores a late result older than the last known state', async () => {
    const { store, send, result } = await setup();
    const old = result('backup', 'critical');
    const recent = result('backup', 'ok');
    await send([recent]);
    await send([old]);
    expect(await open(store)).toHaveLength(0);
  });
});
