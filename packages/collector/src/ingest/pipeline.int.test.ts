// The ingest pipeline against a real store on both dialects (SQLite and PostgreSQL).
import { createIdGenerator, type Result, type Status } from '@vigie/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore } from '../../../../test/support/stores.js';
import { EmbeddedSink } from '../sinks/embedded/sink.js';
import { upsertAgent } from '../store/agents.js';
import type { Store } from '../store/open.js';
import { addTenant } from '../store/tenants.js';
import { listTickets, ticketTimeline } from '../store/tickets.js';
import { DedupeStage } from './dedupe.js';
import { EvaluateStage } from './evaluate.js';
import { PersistMetricsStage } from './persist-metrics.js';
import { type AgentSession, IngestPipeline, newBatch } from './pipeline.js';
import { RecordStage } from './record.js';

describe.each(DIALECTS)('ingest pipeline on %s', (dialect) => {
  let disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(disposers.map((d) => d()));
    disposers = [];
  });

  async function setup() {
    const { store, dispose } = await freshStore(dialect);
    const sink = new EmbeddedSink({ path: ':memory:', retentionMs: 86_400_000 * 365, maxPoints: 1e6 });
    disposers.push(dispose, () => sink.close());
    let clock = Date.parse('2026-11-28T12:00:00.000Z');
    const now = () => new Date(clock);
    const newId = createIdGenerator(() => clock);
    const now0 = now();
    await addTenant(store.db, 'acme', 'ACME', now0);
    const agent = await upsertAgent(store.db, {
      id: newId(),
      tenantId: 'acme',
      tokenId: 'tok',
      agent: { host: 'web-01', environment: 'production', application: 'shop', version: 'test' },
      now: now0,
    });
    const session: AgentSession = {
      sessionId: 's',
      tenantId: 'acme',
      tokenId: 'tok',
      agentId: agent.id,
      host: 'web-01',
      environment: 'production',
      application: 'shop',
    };
    const pipeline = new IngestPipeline([
      new DedupeStage(store.db),
      new EvaluateStage(() => [{ id: 'disk', metric: 'used_percent', warning: 80, critical: 90 }]),
      new PersistMetricsStage(sink),
      new RecordStage(store.db, { newId, now }),
    ]);
    const result = (checkId: string, status: Status, metrics: Record<string, number> = {}): Result => {
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
      };
    };
    const send = (results: Result[]) => pipeline.process(newBatch(session, newId(), results, now()));
    return { store, sink, send, result };
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
    // A new failure after resolution opens a new ticket (the reopen window comes with SLA tickets).
    await send([result('backup', 'critical')]);
    expect(await open(store)).toHaveLength(1);
  });

  it('is idempotent on result ids: a replayed batch adds no occurrence and no metric point', async () => {
    const { store, sink, send, result } = await setup();
    const batch = [
      result('backup', 'critical', { age_seconds: 100 }),
      result('backup', 'critical', { age_seconds: 200 }),
    ];
    const first = await send(batch);
    expect([first.fresh.length, first.duplicates]).toEqual([2, 0]);
    const points = sink.count();
    const replay = await send(batch);
    expect([replay.fresh.length, replay.duplicates]).toEqual([0, 2]);
    expect(sink.count()).toBe(points);
    expect((await open(store))[0]?.occurrences).toBe(2);
  });

  it('applies threshold rules: a metric past its critical level opens a ticket even when the agent says ok', async () => {
    const { store, send, result } = await setup();
    const b = await send([
      { ...result('fs', 'ok', { 'used_percent@/': 95 }), type: 'filesystem', category: 'performance' },
    ]);
    expect(b.evaluations.values().next().value?.findings[0]).toMatchObject({
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
