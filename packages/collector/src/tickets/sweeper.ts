// The periodic pass over the queue (its clock injected): SLA at-risk and breach flags, automatic escalation
// when the response target is at risk without acknowledgement, and "agent unreachable" tickets for agents
// that stopped reporting. A host whose agent is unreachable is not escalated on stale data.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { MaintenanceQuery } from '../maintenance/book.js';
import type { Db } from '../store/open.js';
import type { AgentTable, TicketTable } from '../store/schema.js';
import { CLOSED_STATUSES, insertTicket, updateTicket } from '../store/tickets.js';
import { SYSTEM_ACTOR, timelineEvent } from './apply.js';
import { type ContractBook, clockOf, maintenancePauses } from './contracts.js';
import { dedupKey } from './lifecycle.js';
import type { Notifier } from './notifier.js';
import { priorityFor } from './priority.js';
import { SUPPORT_LEVELS, type SupportLevel } from './workflow.js';

export const AGENT_CHECK_ID = 'agent';
/** Tickets handled between two turns of the event loop. */
const SWEEP_SLICE = 50;

export interface SweepDeps {
  db: Db;
  now: () => Date;
  newId: () => string;
  silentAgentAfterMs: number;
  contracts: ContractBook;
  notifier: Notifier;
  /** Maintenance windows in force (maintenance/book.ts); none when absent. */
  maintenance?: MaintenanceQuery;
}

export interface SweepEvent {
  kind: 'sla_at_risk' | 'sla_breached' | 'escalated' | 'agent_unreachable' | 'agent_back';
  ticket: TicketTable;
}

export async function sweep(deps: SweepDeps): Promise<SweepEvent[]> {
  const events: SweepEvent[] = [];
  const unreachable = await silentAgents(deps, events);
  const active = await deps.db
    .selectFrom('tickets')
    .selectAll()
    .where('status', 'in', ['open', 'acknowledged', 'in_progress'])
    .execute();
  for (const [i, t] of active.entries()) {
    // A queue of thousands of tickets: give ingest and the API a turn now and then (SQLite answers
    // synchronously, so without it the pass would hold the thread for its whole length).
    if (i > 0 && i % SWEEP_SLICE === 0) await yieldToEventLoop();
    if (t.kind !== 'agent_unreachable' && unreachable.has(`${t.tenant_id}/${t.host}`)) continue;
    await slaPass(deps, t, events);
  }
  return events;
}

async function slaPass(deps: SweepDeps, t: TicketTable, events: SweepEvent[]): Promise<void> {
  const now = deps.now();
  const contract = await deps.contracts.forTenant(deps.db, t.tenant_id);
  // maintenance: the clock stops while a window covers the ticket's check.
  const state = clockOf(contract, t, maintenancePauses(deps.maintenance, t, now)).state(now, {
    acknowledgedAt: t.acknowledged_at ? new Date(t.acknowledged_at) : undefined,
    resolvedAt: t.resolved_at ? new Date(t.resolved_at) : undefined,
  });
  const before = new Set((t.sla_flags ?? '').split(',').filter(Boolean));
  const flags: string[] = [];
  for (const [name, s] of [
    ['response', state.response],
    ['resolution', state.resolution],
  ] as const) {
    if (s.atRisk) flags.push(`${name}_at_risk`);
    // Breaches stay recorded even when the target is met later.
    if (s.breached || before.has(`${name}_breached`)) flags.push(`${name}_breached`);
  }
  const added = flags.filter((f) => !before.has(f));
  // maintenance: a window moves the due times later by the covered time it took.
  const due: Partial<TicketTable> = {};
  if (!t.acknowledged_at && state.response.due.toISOString() !== t.response_due_at)
    due.response_due_at = state.response.due.toISOString();
  if (state.resolution.due.toISOString() !== t.resolution_due_at)
    due.resolution_due_at = state.resolution.due.toISOString();
  if (added.length === 0 && flags.length === before.size) {
    if (Object.keys(due).length > 0) await updateTicket(deps.db, t.id, due);
    return;
  }
  // One transaction per ticket: a sweep cut short (its collector killed, the leader role moving) leaves each
  // ticket's flags, timeline and notifications either all written or none, so the next sweep never repeats one.
  await deps.db.transaction().execute(async (trx) => {
    const d = { ...deps, db: trx };
    const pending: SweepEvent[] = [];
    await recordSlaChanges(d, t, flags, added, state, due, pending);
    events.push(...pending);
  });
}

async function recordSlaChanges(
  deps: SweepDeps,
  t: TicketTable,
  flags: string[],
  added: string[],
  state: ReturnType<ReturnType<typeof clockOf>['state']>,
  due: Partial<TicketTable>,
  events: SweepEvent[],
): Promise<void> {
  const now = deps.now();
  const changes: Partial<TicketTable> = {
    ...due,
    sla_flags: flags.sort().join(','),
    updated_at: now.toISOString(),
  };
  for (const f of added) {
    const [targetName, what] = f.split('_') as [string, string];
    const kind = what === 'at' ? 'sla_at_risk' : 'sla_breached';
    const due = targetName === 'response' ? state.response.due : state.resolution.due;
    await timelineEvent(deps.db, deps, t.id, kind, SYSTEM_ACTOR, {
      target: targetName,
      due: due.toISOString(),
    });
    await deps.notifier.notify(deps.db, t, kind === 'sla_at_risk' ? 'at_risk' : 'breached', {
      target: targetName,
    });
    events.push({ kind, ticket: t });
  }
  // Escalate when the response target is at risk (or breached) and nobody has acknowledged.
  const level = SUPPORT_LEVELS.indexOf((t.support_level ?? 'N1') as SupportLevel);
  const responseAlarm = added.includes('response_at_risk') || added.includes('response_breached');
  if (responseAlarm && !t.acknowledged_at && level < SUPPORT_LEVELS.length - 1) {
    const to = SUPPORT_LEVELS[level + 1] as SupportLevel;
    changes.support_level = to;
    await timelineEvent(deps.db, deps, t.id, 'escalated', SYSTEM_ACTOR, {
      from: t.support_level ?? 'N1',
      to,
      reason: added.includes('response_breached')
        ? 'response target breached without acknowledgement'
        : 'response target at risk without acknowledgement',
    });
    events.push({ kind: 'escalated', ticket: { ...t, support_level: to } });
    await deps.notifier.notify(deps.db, { ...t, support_level: to }, 'escalated', { automatic: true });
  }
  await updateTicket(deps.db, t.id, changes);
}

/** Opens or resolves "agent unreachable" tickets; returns the tenant/host of agents silent now. */
async function silentAgents(deps: SweepDeps, events: SweepEvent[]): Promise<Set<string>> {
  const now = deps.now();
  const cutoff = new Date(now.getTime() - deps.silentAgentAfterMs).toISOString();
  // lifecycle: a decommissioned host is not expected to report any more.
  const agents = await deps.db
    .selectFrom('agents')
    .selectAll()
    .where('decommissioned_at', 'is', null)
    .execute();
  // One read of every open "agent" ticket, rather than one per agent (thousands of agents, every sweep).
  const openByKey = new Map(
    (
      await deps.db
        .selectFrom('tickets')
        .selectAll()
        .where('check_id', '=', AGENT_CHECK_ID)
        .where('status', 'not in', CLOSED_STATUSES)
        .execute()
    ).map((t) => [t.dedup_key, t]),
  );
  const silent = new Set<string>();
  for (const a of agents) {
    const key = dedupKey(a.tenant_id, a.host, AGENT_CHECK_ID);
    const open = openByKey.get(key);
    if (a.last_seen < cutoff) {
      silent.add(`${a.tenant_id}/${a.host}`);
      // maintenance: a host silent during a window (a planned reboot) gets no "agent unreachable" ticket.
      const scope = {
        tenantId: a.tenant_id,
        application: a.application,
        host: a.host,
        checkId: AGENT_CHECK_ID,
      };
      if (!open && !deps.maintenance?.activeWindow(scope, now)) {
        const ticket = await openUnreachable(deps, a, key);
        await deps.notifier.notify(deps.db, ticket, 'opened', { reason: 'agent unreachable' });
        events.push({ kind: 'agent_unreachable', ticket });
      }
    } else if (open && open.kind === 'agent_unreachable') {
      const at = now.toISOString();
      await updateTicket(deps.db, open.id, { status: 'resolved', resolved_at: a.last_seen, updated_at: at });
      await timelineEvent(deps.db, deps, open.id, 'resolved', SYSTEM_ACTOR, {
        reason: 'agent reporting again',
        lastSeen: a.last_seen,
      });
      events.push({ kind: 'agent_back', ticket: { ...open, status: 'resolved', resolved_at: a.last_seen } });
    }
  }
  return silent;
}

async function openUnreachable(deps: SweepDeps, a: AgentTable, key: string): Promise<TicketTable> {
  const now = deps.now();
  const priority = priorityFor('critical', a.environment);
  const due = await deps.contracts.dueTimes()(deps.db, a.tenant_id, priority, now);
  const ticket: TicketTable = {
    id: deps.newId(),
    tenant_id: a.tenant_id,
    host: a.host,
    check_id: AGENT_CHECK_ID,
    dedup_key: key,
    status: 'open',
    severity: 'critical',
    title: `agent unreachable on ${a.host}`,
    message: `no result since ${a.last_seen}`,
    occurrences: 1,
    opened_at: now.toISOString(),
    last_seen_at: a.last_seen,
    resolved_at: null,
    updated_at: now.toISOString(),
    kind: 'agent_unreachable',
    priority,
    support_level: 'N1',
    environment: a.environment,
    application: a.application,
    response_due_at: due.responseDue.toISOString(),
    resolution_due_at: due.resolutionDue.toISOString(),
  };
  await insertTicket(deps.db, ticket);
  await timelineEvent(deps.db, deps, ticket.id, 'opened', SYSTEM_ACTOR, {
    reason: 'agent stopped reporting',
    lastSeen: a.last_seen,
    priority,
  });
  return ticket;
}
