// SLA flags, escalation, waiting for the client, and silent agents, with an injected clock, on both dialects.
import { createIdGenerator } from '@vigie/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore } from '../../../../test/support/stores.js';
import { upsertAgent } from '../store/agents.js';
import type { Store } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import { addTenant } from '../store/tenants.js';
import { getTicket, listTickets, ticketTimeline } from '../store/tickets.js';
import { applyStatus, type StatusChange } from './apply.js';
import { ContractBook } from './contracts.js';
import type { Notifier } from './notifier.js';
import { sweep } from './sweeper.js';
import { act } from './workflow.js';

const MIN = 60_000;

describe.each(DIALECTS)('ticket sweeper on %s', (dialect) => {
  let dispose: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const d of dispose) await d();
    dispose = [];
  });

  async function setup() {
    const { store, dispose: d } = await freshStore(dialect);
    dispose.push(d);
    let clock = Date.parse('2026-11-30T08:00:00.000Z');
    const now = () => new Date(clock);
    const advance = (ms: number) => {
      clock += ms;
    };
    const newId = createIdGenerator(() => clock);
    await addTenant(store.db, 'acme', 'ACME', now());
    const agent = (host: string) =>
      upsertAgent(store.db, {
        id: newId(),
        tenantId: 'acme',
        tokenId: `tok-${host}`,
        agent: { host, environment: 'production', application: 'shop', version: 't' },
        now: now(),
      });
    const contracts = new ContractBook();
    const notified: string[] = [];
    const notifier: Notifier = {
      notify: async (_db, t, kind) => {
        notified.push(`${kind}:${t.check_id}`);
      },
      deliveries: (t, kind) => {
        notified.push(`${kind}:${t.check_id}`);
        return [];
      },
    };
    const deps = { newId, now, reopenWindowMs: 0, dueTimes: contracts.dueTimes(), contracts, notifier };
    const fail = async (host: string, checkId: string): Promise<TicketTable> => {
      const change: StatusChange = {
        tenantId: 'acme',
        host,
        environment: 'production',
        application: 'shop',
        checkId,
        checkType: 't',
        status: 'critical',
        message: 'down',
        observedAt: now().toISOString(),
        resultId: newId(),
        findings: [],
      };
      const e = await applyStatus(store.db, change, deps);
      if (!e || !('ticket' in e)) throw new Error('no ticket');
      return e.ticket;
    };
    const run = () => sweep({ db: store.db, now, newId, silentAgentAfterMs: 5 * MIN, contracts, notifier });
    return { store, now, advance, newId, agent, fail, run, deps, notified };
  }

  const kinds = async (store: Store, id: string) =>
    (await ticketTimeline(store.db, id)).map((e) => `${e.kind}:${e.actor}`);

  it('flags a P1 at risk at 75% of its 2 h response target, escalates it N1 -> N2, then N3 on breach', async () => {
    const { store, advance, agent, fail, run, notified } = await setup();
    await agent('web-01');
    const t = await fail('web-01', 'db');
    expect(t.priority).toBe('P1');
    advance(89 * MIN);
    await agent('web-01'); // the agent keeps reporting
    await run();
    expect((await getTicket(store.db, t.id))?.sla_flags ?? '').toBe('');
    advance(2 * MIN);
    await agent('web-01');
    const events = await run();
    expect(events.map((e) => e.kind)).toEqual(['sla_at_risk', 'escalated']);
    expect(await getTicket(store.db, t.id)).toMatchObject({
      sla_flags: 'response_at_risk',
      support_level: 'N2',
    });
    advance(30 * MIN);
    await agent('web-01');
    await run();
    const after = await getTicket(store.db, t.id);
    expect(after?.support_level).toBe('N3');
    expect(after?.sla_flags).toContain('response_breached');
    expect(await kinds(store, t.id)).toEqual([
      'opened:vigie',
      'sla_at_risk:vigie',
      'escalated:vigie',
      'sla_breached:vigie',
      'escalated:vigie',
    ]);
    expect(notified).toEqual(['at_risk:db', 'escalated:db', 'breached:db', 'escalated:db']);
  });

  it('computes due times in covered time of the tenant contract: business hours, weekends and holidays', async () => {
    const { store, agent, fail } = await setup();
    await store.db
      .updateTable('tenants')
      .set({
        contract: JSON.stringify({
          calendar: {
            kind: 'business',
            timeZone: 'Europe/Paris',
            days: [1, 2, 3, 4, 5],
            hours: [{ from: '09:00', to: '18:00' }],
            holidays: { country: 'FR' },
          },
          response: { P1: '2h', P2: '6h', P3: '24h', P4: '72h' },
          resolution: { P1: '8h', P2: '24h', P3: '72h', P4: '240h' },
        }),
      })
      .where('id', '=', 'acme')
      .execute();
    await agent('web-01');
    // The clock of this test stands on Monday 30 Nov 2026, 09:00 in Paris: a P1 is due at 11:00 local.
    const t = await fail('web-01', 'db');
    expect(t.response_due_at).toBe('2026-11-30T10:00:00.000Z');
    // 8 covered hours: Monday 09:00 -> 17:00 local.
    expect(t.resolution_due_at).toBe('2026-11-30T16:00:00.000Z');
  });

  it('an acknowledged ticket meets its response target: no breach, no escalation', async () => {
    const { store, advance, agent, fail, run, deps } = await setup();
    await agent('web-01');
    const t = await fail('web-01', 'db');
    advance(30 * MIN);
    await act(store.db, t, { kind: 'acknowledge' }, 'key:noc', deps);
    advance(200 * MIN);
    await agent('web-01');
    await run();
    const after = await getTicket(store.db, t.id);
    expect(after?.support_level).toBe('N1');
    expect(after?.sla_flags).not.toContain('response');
  });

  it('waiting for the client pauses the clock: due times move by the time waited', async () => {
    const { store, advance, agent, fail, deps } = await setup();
    await agent('web-01');
    const t = await fail('web-01', 'db');
    const due = Date.parse(t.resolution_due_at as string);
    advance(10 * MIN);
    const waiting = await act(
      store.db,
      t,
      { kind: 'wait', reason: 'need the client to restart the VM' },
      'key:noc',
      deps,
    );
    advance(60 * MIN);
    const resumed = await act(store.db, waiting, { kind: 'resume' }, 'key:noc', deps);
    expect(Date.parse(resumed.resolution_due_at as string) - due).toBe(60 * MIN);
    expect(resumed).toMatchObject({ status: 'in_progress', paused_ms: 60 * MIN, waiting_since: null });
    expect(await kinds(store, t.id)).toEqual([
      'opened:vigie',
      'waiting_for_client:key:noc',
      'resumed:key:noc',
    ]);
  });

  it('opens one "agent unreachable" ticket for a silent agent, holds its host\'s escalations, resolves on return', async () => {
    const { store, advance, agent, fail, run } = await setup();
    await agent('web-01');
    const t = await fail('web-01', 'db');
    advance(6 * MIN);
    const first = await run();
    expect(first.map((e) => e.kind)).toEqual(['agent_unreachable']);
    expect((await run()).map((e) => e.kind)).toEqual([]); // one ticket, not one per pass
    advance(120 * MIN); // the db ticket would be breached, but its data is stale
    await run();
    expect(await getTicket(store.db, t.id)).toMatchObject({ support_level: 'N1', sla_flags: '' });
    await agent('web-01'); // it reports again
    const back = await run();
    expect(back.map((e) => e.kind)).toContain('agent_back');
    const unreachable = await listTickets(store.db, {
      tenantId: 'acme',
      kind: ['agent_unreachable'],
      limit: 10,
    });
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]).toMatchObject({ status: 'resolved', check_id: 'agent' });
  });
});
