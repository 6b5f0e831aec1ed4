// The forecast pass against the embedded metrics store and a state store of each dialect, with an injected
// clock: a forecast ticket opens, follows the prediction (timeline only on material moves, priority up as the
// crossing nears), gives way to the threshold ticket of the same check and instance, and resolves when the
// trend recedes. The series here are written straight into the metrics store; test/e2e/forecast-*.test.ts
// send them through the real ingest.
import { createIdGenerator } from '@vigie/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore } from '../../../../test/support/stores.js';
import { EmbeddedSink } from '../sinks/embedded/sink.js';
import type { MetricPoint } from '../sinks/types.js';
import { upsertAgent } from '../store/agents.js';
import { addTenant } from '../store/tenants.js';
import { getTicket, listTickets, ticketTimeline } from '../store/tickets.js';
import { applyStatus } from '../tickets/apply.js';
import { ContractBook } from '../tickets/contracts.js';
import type { Notifier } from '../tickets/notifier.js';
import { ForecastEvaluator } from './evaluator.js';
import { forecastsForTenant } from './report.js';
import { resolveForecastSettings } from './rules.js';
import { listForecasts } from './store.js';
import { supersedeByThreshold } from './tickets.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const log = pino({ level: process.env.VIGIE_TEST_LOG ?? 'silent' });

describe.each(DIALECTS)('forecast pass on %s', (dialect) => {
  let dispose: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const d of dispose.reverse()) await d();
    dispose = [];
  });

  async function setup() {
    const { store, dispose: d } = await freshStore(dialect);
    dispose.push(d);
    const sink = new EmbeddedSink({ path: ':memory:', retentionMs: 30 * DAY, maxPoints: 1_000_000 });
    dispose.push(() => sink.close());
    let clock = Date.parse('2026-03-02T00:00:00.000Z');
    const now = () => new Date(clock);
    const newId = createIdGenerator(() => clock);
    await addTenant(store.db, 'acme', 'ACME', now());
    for (const host of ['db-01', 'db-02'])
      await upsertAgent(store.db, {
        id: newId(),
        tenantId: 'acme',
        tokenId: `tok-${host}`,
        agent: { host, environment: 'production', application: 'erp', version: 't' },
        now: now(),
      });
    const notified: string[] = [];
    const notifier: Notifier = {
      notify: async (_db, t, kind) => {
        notified.push(`${kind}:${t.check_id}`);
      },
      deliveries: () => [],
    };
    const settings = resolveForecastSettings({
      rules: [
        {
          id: 'disk',
          type: 'filesystem',
          metric: 'used_percent',
          limit: 100,
          window: '1d',
          horizon: '7d',
          label: '{instance} full',
        },
      ],
    });
    const deps = { newId, now, reopenWindowMs: HOUR, dueTimes: new ContractBook().dueTimes(), notifier };
    const evaluator = new ForecastEvaluator({
      ...deps,
      db: store.db,
      sink,
      rules: () => settings.rules,
      silentAgentAfterMs: 365 * DAY,
      log,
    });
    /** One used_percent point per 10 minutes of each host's /var from the clock on, the clock following. */
    const report = async (minutes: number, hosts: Record<string, (elapsedMs: number) => number>) => {
      const start = clock;
      const points: MetricPoint[] = [];
      for (let t = start; t <= start + minutes * MIN; t += 10 * MIN) {
        for (const [host, value] of Object.entries(hosts))
          points.push({
            measurement: 'filesystem',
            tags: {
              tenant: 'acme',
              application: 'erp',
              environment: 'production',
              host,
              check: 'fs',
              instance: '/var',
            },
            fields: { used_percent: value(t - start) },
            time: t,
          });
      }
      await sink.write(points);
      clock = start + minutes * MIN;
      await store.db.updateTable('agents').set({ last_seen: now().toISOString() }).execute();
    };
    const forecastTickets = async () =>
      (await listTickets(store.db, { tenantId: 'acme', kind: ['forecast'], limit: 50 })).sort((a, b) =>
        a.opened_at < b.opened_at ? -1 : 1,
      );
    return {
      store,
      sink,
      evaluator,
      report,
      notified,
      deps,
      now,
      forecastTickets,
      advance: (ms: number) => (clock += ms),
    };
  }

  it('opens a forecast ticket days ahead and keeps its predicted time up to date', async () => {
    const s = await setup();
    // 40 % → 100 % at 12 %/day: full 5 days after the start; one day observed.
    const perMs = 12 / DAY;
    let level = 40;
    await s.report(24 * 60, { 'db-01': (e) => 40 + perMs * e });
    level = 40 + perMs * DAY;
    const run = await s.evaluator.runOnce();
    expect(run).toMatchObject({ hosts: 1, series: 1, atRisk: 1 });
    const [ticket] = await s.forecastTickets();
    expect(ticket).toMatchObject({
      kind: 'forecast',
      host: 'db-01',
      check_id: 'forecast:fs:used_percent@/var',
      status: 'open',
      priority: 'P3',
      severity: 'warning',
    });
    expect(ticket?.title).toMatch(/^\/var full in (3 d 2\d h|4 d( \d h)?) on db-01$/);
    expect(ticket?.message).toContain('Theil–Sen fit of 144 points');
    expect(s.notified).toEqual(['opened:forecast:fs:used_percent@/var']);
    const [row] = await listForecasts(s.store.db, { tenantId: 'acme', limit: 10 });
    expect(row).toMatchObject({ verdict: 'crossing', rule_id: 'disk', points: 144, window_seconds: 86_400 });
    expect(Math.abs((row?.seconds ?? 0) - 4 * 86_400) / (4 * 86_400)).toBeLessThan(0.01);
    expect((row?.slope_per_second ?? 0) * 86_400).toBeCloseTo(12, 6);

    // An hour later, on the same trend: the title counts down, the timeline stays quiet.
    const base = level;
    await s.report(60, { 'db-01': (e) => base + perMs * (e + 10 * MIN) });
    level = base + perMs * (HOUR + 10 * MIN);
    await s.evaluator.runOnce();
    const id = ticket?.id as string;
    expect((await ticketTimeline(s.store.db, id)).map((e) => e.kind)).toEqual(['opened']);

    // The fill speeds up four-fold for 12 hours: the prediction moves by far more than 10 %, which the
    // timeline notes, and the crossing comes under 24 hours: P2, notified.
    const fast = level;
    await s.report(12 * 60, { 'db-01': (e) => fast + 4 * perMs * (e + 10 * MIN) });
    await s.evaluator.runOnce();
    const raised = await getTicket(s.store.db, id);
    expect(raised?.priority).toBe('P2');
    expect(raised?.title).toMatch(/^\/var full in \d+ h( \d+ min)? on db-01$/);
    const kinds = (await ticketTimeline(s.store.db, id)).map((e) => e.kind);
    expect(kinds[0]).toBe('opened');
    expect(kinds.slice(1).every((k) => k === 'forecast_moved' || k === 'priority_raised')).toBe(true);
    expect(kinds).toContain('priority_raised');
    expect(s.notified).toContain('updated:forecast:fs:used_percent@/var');
    expect(await s.forecastTickets()).toHaveLength(1);
  });

  it('closes the forecast ticket, linked, when the threshold ticket of the same instance opens', async () => {
    const s = await setup();
    await s.report(24 * 60, { 'db-01': (e) => 60 + (20 / DAY) * e, 'db-02': () => 50 });
    await s.evaluator.runOnce();
    const [forecast] = await s.forecastTickets();
    expect(forecast?.status).toBe('open');
    const threshold = (change: { message: string }) =>
      applyStatus(
        s.store.db,
        {
          tenantId: 'acme',
          host: 'db-01',
          environment: 'production',
          application: 'erp',
          checkId: 'fs',
          checkType: 'filesystem',
          status: 'warning',
          observedAt: s.now().toISOString(),
          resultId: `r-${change.message}`,
          findings: [],
          ...change,
        },
        s.deps,
      );
    // A ticket about another mount does not stand for this forecast.
    const other = await threshold({ message: '/ 91.2% used (warning >= 85%)' });
    const otherTicket = other && 'ticket' in other ? other.ticket : undefined;
    expect(
      await supersedeByThreshold(s.store.db, otherTicket as NonNullable<typeof otherTicket>, s.deps),
    ).toEqual([]);
    await s.evaluator.runOnce();
    expect((await getTicket(s.store.db, forecast?.id as string))?.status).toBe('open');
    // The check's ticket now names /var: the forecast gives way at the next pass.
    await s.store.db
      .updateTable('tickets')
      .set({ message: '/var 86.0% used (warning >= 85%)' })
      .where('id', '=', otherTicket?.id as string)
      .execute();
    await s.evaluator.runOnce();
    const closed = await getTicket(s.store.db, forecast?.id as string);
    expect(closed).toMatchObject({ status: 'closed' });
    const forecastEvents = await ticketTimeline(s.store.db, forecast?.id as string);
    expect(forecastEvents.at(-1)).toMatchObject({ kind: 'superseded' });
    expect(JSON.parse(forecastEvents.at(-1)?.details ?? '{}')).toMatchObject({ by: otherTicket?.id });
    const thresholdEvents = await ticketTimeline(s.store.db, otherTicket?.id as string);
    expect(thresholdEvents.map((e) => e.kind)).toContain('forecast_linked');
    expect(s.notified).toContain('closed:forecast:fs:used_percent@/var');
    // While the threshold ticket is open, no new forecast ticket.
    await s.report(60, { 'db-01': (e) => 80 + (20 / DAY) * e });
    await s.evaluator.runOnce();
    expect((await s.forecastTickets()).filter((t) => t.status === 'open')).toEqual([]);

    const report = await forecastsForTenant(s.store.db, 'acme', new Date(0), s.now());
    expect(report.tickets).toEqual([
      expect.objectContaining({
        ticketId: forecast?.id,
        outcome: 'superseded',
        supersededBy: otherTicket?.id,
      }),
    ]);
    expect(report.tickets[0]?.firstPredictedAt).toMatch(/^2026-03-0\dT/);
  });

  it('resolves the forecast when the trend recedes (a resize), and never opens one on a flat series', async () => {
    const s = await setup();
    await s.report(24 * 60, {
      'db-01': (e) => 60 + (20 / DAY) * e,
      'db-02': (e) => 70 + Math.sin(e / HOUR) * 2,
    });
    await s.evaluator.runOnce();
    const [forecast] = await s.forecastTickets();
    expect(forecast?.host).toBe('db-01');
    expect((await s.forecastTickets()).map((t) => t.host)).toEqual(['db-01']);

    // The filesystem is doubled: used 80 % becomes 40 %, and the fill goes on at half the pace.
    await s.report(30, { 'db-01': (e) => 40 + (10 / DAY) * e });
    s.advance(MIN);
    await s.evaluator.runOnce();
    const resolved = await getTicket(s.store.db, forecast?.id as string);
    expect(resolved?.status).toBe('resolved');
    const last = (await ticketTimeline(s.store.db, forecast?.id as string)).at(-1);
    expect(last?.kind).toBe('resolved');
    expect(JSON.parse(last?.details ?? '{}').reason).toMatch(/^the trend receded: .*a cleanup or a resize/);
    const rows = await listForecasts(s.store.db, { tenantId: 'acme', limit: 10 });
    expect(rows.map((r) => [r.host, r.verdict])).toEqual([
      ['db-01', 'receded'],
      ['db-02', expect.stringMatching(/^(poor_fit|periodic|not_approaching)$/)],
    ]);
    const report = await forecastsForTenant(s.store.db, 'acme', new Date(0), s.now());
    expect(report.tickets.map((t) => t.outcome)).toEqual(['receded']);
    expect(report.standing).toEqual([]);
  });
});
