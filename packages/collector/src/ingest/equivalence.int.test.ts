// Equivalence of the group-commit ingest with a small reference model of the ticket rules, written here
// independently of the collector's code: random streams of results from several agents (duplicates in a
// batch, replayed batches, out-of-order and future-dated times, skewed agent clocks, late batches, flapping
// and recoveries) must give exactly the tickets, occurrences and timelines the model predicts. On SQLite and
// PostgreSQL, and with the collector restarted in the middle of the stream.
import { createIdGenerator, type Status } from '@vigie/shared';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore } from '../../../../test/support/stores.js';
import { EmbeddedSink } from '../sinks/embedded/sink.js';
import { addTenant } from '../store/tenants.js';
import { listTickets, ticketTimeline } from '../store/tickets.js';
import type { IncomingResult } from './pipeline.js';
import { ingestHarness, type TestAgent } from './testing.js';

const POLICY = { failures: 2, recoveries: 2, flapChanges: 4, flapWindowMs: 20 * 60_000 };
const REOPEN_MS = 10 * 60_000;
const STALE_MS = 15 * 60_000;
const TOLERANCE_MS = 2000;
/** A clock behind by less than the agents' ack timeout may be a batch that waited: not moved. */
const BEHIND_TOLERANCE_MS = 30_000;
const T0 = Date.parse('2026-12-01T08:00:00.000Z');
/** A longer hunt (VIGIE_EQ_RUNS, below) may take an hour. */
const TEST_TIMEOUT_MS = process.env.VIGIE_EQ_RUNS ? 3_600_000 : 240_000;

// ---------- the reference model ----------

const RANK: Record<Status, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

interface ModelTicket {
  status: 'open' | 'resolved';
  severity: Status;
  occurrences: number;
  kind: 'check' | 'flapping';
  reopened: number;
  resolvedAt?: number;
  timeline: string[];
}

interface ModelCheck {
  hard: Status;
  soft: Status;
  streak: number;
  changes: number[];
  flapping: boolean;
  at: number;
}

class Model {
  readonly checks = new Map<string, ModelCheck>();
  readonly tickets = new Map<string, ModelTicket[]>();
  readonly seen = new Map<string, number>();

  private open(key: string): ModelTicket | undefined {
    return this.tickets.get(key)?.find((t) => t.status === 'open');
  }

  /** The ticket work of a confirmed status (`ok` resolves). */
  private status(
    key: string,
    status: Status,
    at: number,
    stale: boolean,
    streak: number,
  ): ModelTicket | undefined {
    const open = this.open(key);
    if (status === 'ok') {
      if (open) {
        open.status = 'resolved';
        open.resolvedAt = at;
        open.timeline.push('resolved');
      }
      return undefined;
    }
    if (open) {
      const raised = RANK[status] > RANK[open.severity];
      open.occurrences++;
      if (raised) open.severity = status;
      open.timeline.push(raised ? 'severity_raised' : 'occurrence');
      return undefined;
    }
    if (stale) return undefined;
    const list = this.tickets.get(key) ?? [];
    const last = list
      .filter((t) => t.resolvedAt !== undefined)
      .sort((a, b) => (b.resolvedAt ?? 0) - (a.resolvedAt ?? 0))[0];
    if (last && (last.resolvedAt ?? 0) >= at - REOPEN_MS) {
      last.status = 'open';
      last.resolvedAt = undefined;
      last.severity = status;
      last.occurrences++;
      last.reopened++;
      last.timeline.push('reopened');
      return last;
    }
    const t: ModelTicket = {
      status: 'open',
      severity: status,
      occurrences: Math.max(1, streak),
      kind: 'check',
      reopened: 0,
      timeline: ['opened'],
    };
    list.push(t);
    this.tickets.set(key, list);
    return t;
  }

  observe(key: string, status: Status, at: number, stale: boolean): void {
    const prev = this.checks.get(key) ?? {
      hard: 'ok',
      soft: 'ok',
      streak: 0,
      changes: [],
      flapping: false,
      at: -Infinity,
    };
    if (prev.at > at) return;
    const streak = status === prev.soft ? prev.streak + 1 : 1;
    const changes = (status === prev.soft ? prev.changes : [...prev.changes, at]).filter(
      (c) => c > at - POLICY.flapWindowMs,
    );
    let hard = prev.hard;
    if (status === 'ok' && hard !== 'ok' && streak >= POLICY.recoveries) hard = 'ok';
    if (status !== 'ok' && streak >= POLICY.failures) hard = status;
    if (status !== 'ok' && prev.hard !== 'ok' && RANK[status] > RANK[prev.hard]) hard = status;
    const flapping = prev.flapping ? changes.length > 1 : changes.length >= POLICY.flapChanges;
    const flapStarted = flapping && !prev.flapping;
    const flapEnded = !flapping && prev.flapping;
    this.checks.set(key, { hard, soft: status, streak, changes, flapping, at });
    if (flapStarted) {
      const open = this.open(key);
      if (open) {
        open.kind = 'flapping';
        open.timeline.push('flapping_started');
      } else {
        const t = this.status(key, status === 'ok' ? 'warning' : status, at, stale, streak);
        if (t) {
          t.kind = 'flapping';
          t.timeline.push('flapping_started');
        }
      }
    } else if (flapEnded) {
      const open = this.open(key);
      if (open) {
        open.kind = 'check';
        open.timeline.push('flapping_ended');
      }
    }
    if (flapping) {
      if (status !== 'ok' && !flapStarted) this.status(key, status, at, stale, streak);
    } else if (hard !== 'ok' && status !== 'ok') this.status(key, hard, at, stale, streak);
    else if (hard === 'ok' && (hard !== prev.hard || flapEnded)) this.status(key, 'ok', at, stale, streak);
  }

  /** A batch as the collector gets it: replays dropped, times put on the collector's clock, in time order. */
  batch(agent: ScenarioAgent, results: SentResult[], receivedAt: number, sentAt: number | undefined): void {
    const fresh: SentResult[] = [];
    let mark = this.seen.get(agent.host) ?? 0;
    const ids = new Set<string>();
    for (const r of results) {
      if (agent.v2 ? r.seq <= mark : this.seenIds.has(r.id) || ids.has(r.id)) continue;
      mark = Math.max(mark, r.seq);
      ids.add(r.id);
      fresh.push(r);
    }
    this.seen.set(agent.host, mark);
    for (const id of ids) this.seenIds.add(id);
    const skew = sentAt === undefined ? 0 : sentAt - receivedAt;
    const timed = fresh.map((r) => {
      // Ahead past the tolerance, or behind past the ack timeout (a batch that waited looks behind): moved.
      let at =
        r.agentAt - (skew > TOLERANCE_MS || skew < -Math.max(TOLERANCE_MS, BEHIND_TOLERANCE_MS) ? skew : 0);
      if (at > receivedAt + TOLERANCE_MS) at = receivedAt;
      return { r, at };
    });
    timed.sort((a, b) => a.at - b.at);
    for (const { r, at } of timed)
      this.observe(`${agent.host}/${r.check}`, r.status, at, receivedAt - at > STALE_MS);
  }

  readonly seenIds = new Set<string>();
}

// ---------- scenarios ----------

interface ScenarioAgent {
  host: string;
  v2: boolean;
  /** The agent's clock minus the collector's (ms). */
  skew: number;
}

interface SentResult {
  id: string;
  seq: number;
  check: string;
  status: Status;
  /** Observation time on the agent's clock. */
  agentAt: number;
}

type Step =
  | { kind: 'results'; agent: number; statuses: Array<{ check: number; status: Status; repeat: boolean }> }
  | { kind: 'replay'; agent: number }
  | { kind: 'late'; agent: number; check: number; status: Status; ageMin: number }
  | { kind: 'future'; agent: number; check: number; status: Status }
  | { kind: 'wait'; minutes: number }
  | { kind: 'restart' };

const statusArb = fc.constantFrom<Status>('ok', 'ok', 'ok', 'warning', 'critical', 'critical', 'unknown');
const stepArb = (agents: number): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({
        kind: fc.constant('results' as const),
        agent: fc.nat(agents - 1),
        statuses: fc.array(fc.record({ check: fc.nat(2), status: statusArb, repeat: fc.boolean() }), {
          minLength: 1,
          maxLength: 5,
        }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('replay' as const), agent: fc.nat(agents - 1) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('late' as const),
        agent: fc.nat(agents - 1),
        check: fc.nat(2),
        status: statusArb,
        ageMin: fc.integer({ min: 1, max: 40 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('future' as const),
        agent: fc.nat(agents - 1),
        check: fc.nat(2),
        status: statusArb,
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 1, max: 20 }) }),
    },
  );

const AGENTS: ScenarioAgent[] = [
  { host: 'erp-db-01', v2: true, skew: 0 },
  { host: 'erp-app-01', v2: true, skew: 3 * 86_400_000 },
  // Behind by less than the ack timeout: what a batch that waited looks like; its times are left alone.
  { host: 'erp-batch-01', v2: true, skew: -10_000 },
  { host: 'erp-web-01', v2: false, skew: 0 },
];

const scenarioArb = fc
  .tuple(fc.array(stepArb(AGENTS.length), { minLength: 20, maxLength: 60 }), fc.nat(59))
  .map(([steps, at]) => {
    const s: Step[] = [...steps];
    s.splice(Math.min(at, s.length), 0, { kind: 'restart' });
    return s;
  });

// ---------- running a scenario through the collector and the model ----------

describe.each(DIALECTS)('ingest equals the reference model on %s', (dialect) => {
  const sink = new EmbeddedSink({ path: ':memory:', retentionMs: 3650 * 86_400_000, maxPoints: 1e7 });
  /** What the generated streams exercised: a generator that never flaps or reopens would prove little. */
  const exercised = new Set<string>();
  const kinds = ['flapping_started', 'occurrence', 'opened', 'reopened', 'resolved', 'severity_raised'];
  afterAll(() => {
    sink.close();
    // A replayed stream (VIGIE_EQ_SEED below) is one stream: coverage is the random rounds' matter.
    if (process.env.VIGIE_EQ_SEED === undefined) expect([...exercised].sort()).toEqual(kinds.sort());
  });

  it(
    'random streams with replays, skew, late and future times, flapping, and a restart',
    async () => {
      const property = fc.asyncProperty(scenarioArb, async (steps) => {
        const fresh = await freshStore(dialect, { file: true });
        let clock = T0;
        const now = () => new Date(clock);
        const newId = createIdGenerator(() => clock);
        await addTenant(fresh.store.db, 'acme', 'ACME', now());
        const model = new Model();
        let store = fresh.store;
        const opened: Array<{ close(): Promise<void> }> = [];
        const start = async () => {
          const h = ingestHarness({
            store,
            sink,
            now,
            newId,
            policy: POLICY,
            reopenWindowMs: REOPEN_MS,
            staleAfterMs: STALE_MS,
          });
          const agents: TestAgent[] = [];
          for (const a of AGENTS)
            agents.push(
              await h.connect({
                tenant: 'acme',
                host: a.host,
                ...(a.v2 ? { epoch: `epoch-${a.host}` } : {}),
              }),
            );
          return { h, agents };
        };
        let running = await start();
        const seqs = AGENTS.map(() => 0);
        const lastBatch: Array<SentResult[] | undefined> = AGENTS.map(() => undefined);
        const sentAtOf = (a: ScenarioAgent) => (a.v2 ? clock + a.skew : undefined);
        const send = async (i: number, results: SentResult[]) => {
          const a = AGENTS[i] as ScenarioAgent;
          const sentAt = sentAtOf(a);
          const incoming: IncomingResult[] = results.map((r) => ({
            id: r.id,
            checkId: `check-${r.check}`,
            type: 'probe',
            category: 'performance',
            status: r.status,
            metrics: { value: RANK[r.status] },
            message: r.status,
            observedAt: new Date(r.agentAt).toISOString(),
            durationMs: 1,
            ...(a.v2 ? { seq: r.seq } : {}),
          }));
          model.batch(a, results, clock, sentAt);
          await (running.agents[i] as TestAgent).send(incoming, { sentAt });
          lastBatch[i] = results;
        };
        const result = (i: number, check: number, status: Status, agentAt: number): SentResult => ({
          id: newId(),
          seq: ++(seqs[i] as number),
          check: String(check),
          status,
          agentAt,
        });
        try {
          for (const step of steps) {
            clock += 30_000;
            if (step.kind === 'wait') clock += step.minutes * 60_000;
            else if (step.kind === 'restart') {
              await running.h.close();
              store = await fresh.reopen();
              opened.push(store);
              running = await start();
            } else if (step.kind === 'replay') {
              const again = lastBatch[step.agent];
              if (again) await send(step.agent, again);
            } else {
              const a = AGENTS[step.agent] as ScenarioAgent;
              const agentNow = clock + a.skew;
              if (step.kind === 'results') {
                const rs: SentResult[] = [];
                step.statuses.forEach((s, k) => {
                  const r = result(
                    step.agent,
                    s.check,
                    s.status,
                    agentNow - (step.statuses.length - k) * 1000,
                  );
                  rs.push(r);
                  // A protocol 1 agent may repeat a result in one batch (same id): counted once.
                  if (s.repeat && !a.v2) rs.push(r);
                });
                await send(step.agent, rs);
              } else if (step.kind === 'late') {
                await send(step.agent, [
                  result(step.agent, step.check, step.status, agentNow - step.ageMin * 60_000),
                ]);
              } else {
                await send(step.agent, [
                  result(step.agent, step.check, step.status, agentNow + 3650 * 86_400_000),
                ]);
              }
            }
          }
          // Compare every key's tickets, in order, with the model's.
          for (const a of AGENTS) {
            for (const check of ['0', '1', '2']) {
              const key = `${a.host}/${check}`;
              const rows = (
                await listTickets(store.db, {
                  tenantId: 'acme',
                  host: a.host,
                  limit: 1000,
                  sort: 'openedAt',
                  order: 'asc',
                })
              ).filter((t) => t.check_id === `check-${check}`);
              const got = [];
              for (const t of rows) {
                const timeline = (await ticketTimeline(store.db, t.id)).flatMap((e) =>
                  e.kind === 'occurrence'
                    ? Array.from(
                        { length: Number((JSON.parse(e.details) as { count?: number }).count ?? 1) },
                        () => 'occurrence',
                      )
                    : [e.kind],
                );
                got.push({
                  status: t.status,
                  severity: t.severity,
                  occurrences: t.occurrences,
                  kind: t.kind,
                  reopened: t.reopened,
                  timeline,
                });
              }
              const want = (model.tickets.get(key) ?? []).map((t) => ({
                status: t.status,
                severity: t.severity,
                occurrences: t.occurrences,
                kind: t.kind,
                reopened: t.reopened,
                timeline: t.timeline,
              }));
              expect({ key, tickets: got }).toEqual({ key, tickets: want });
              for (const t of want) for (const k of t.timeline) if (k !== 'flapping_ended') exercised.add(k);
            }
          }
        } finally {
          await running.h.close();
          for (const s of opened) await s.close();
          await fresh.dispose();
        }
      });
      // The streams are random: a round may happen not to reopen a ticket (the PostgreSQL rounds are short).
      // More rounds, bounded, until every kind of ticket event has come up, so the coverage check holds.
      // A failure prints its seed and path: VIGIE_EQ_SEED=<seed> VIGIE_EQ_PATH=<path> replays that stream.
      const seed = process.env.VIGIE_EQ_SEED;
      if (seed !== undefined) {
        await fc.assert(property, {
          seed: Number(seed),
          path: process.env.VIGIE_EQ_PATH,
          endOnFailure: true,
        });
        return;
      }
      const covered = () => kinds.every((k) => exercised.has(k));
      for (let round = 0; round === 0 || (!covered() && round < 5); round++)
        await fc.assert(property, {
          // VIGIE_EQ_RUNS=<n> runs n streams per round on each dialect (a longer hunt than CI's).
          numRuns: Number(process.env.VIGIE_EQ_RUNS ?? (dialect === 'sqlite' ? 30 : 8)),
          endOnFailure: true,
        });
    },
    TEST_TIMEOUT_MS,
  );
});
