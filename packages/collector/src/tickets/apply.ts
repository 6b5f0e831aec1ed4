// Applies a check's confirmed (hard) status to its ticket inside the caller's transaction, one change at a time
// through Kysely: the rules are the pure plans of `plan.ts`; this module reads the key's rows, plans, and
// writes the plan. Used outside the ingest hot path (drift tickets, forecasts), which plans whole groups.
import type { MaintenanceQuery } from '../maintenance/book.js';
import type { Db } from '../store/open.js';
import {
  addTicketEvent,
  findOpenTicket,
  findReopenable,
  insertTicket,
  updateTicket,
} from '../store/tickets.js';
import { dedupKey } from './lifecycle.js';
import {
  type KeyView,
  type PlanDeps,
  planFlapping,
  planStatus,
  type StatusChange,
  type TicketEffect,
  type TicketPlan,
} from './plan.js';
import type { Priority } from './priority.js';

export { type StatusChange, SYSTEM_ACTOR, type TicketEffect } from './plan.js';

/** Due times of a new ticket, from the tenant's contract (see sla/). */
export type DueTimes = (
  db: Db,
  tenantId: string,
  priority: Priority,
  openedAt: Date,
) => Promise<{ responseDue: Date; resolutionDue: Date }>;

export interface ApplyDeps {
  newId: () => string;
  now: () => Date;
  reopenWindowMs: number;
  dueTimes: DueTimes;
  /** Maintenance windows in force (maintenance/book.ts); none when absent. */
  maintenance?: MaintenanceQuery;
}

export async function timelineEvent(
  db: Db,
  deps: Pick<ApplyDeps, 'newId' | 'now'>,
  ticketId: string,
  kind: string,
  actor: string,
  details: Record<string, unknown>,
): Promise<void> {
  await addTicketEvent(db, {
    id: deps.newId(),
    ticket_id: ticketId,
    at: deps.now().toISOString(),
    kind,
    actor,
    details: JSON.stringify(details),
  });
}

async function viewOf(db: Db, change: StatusChange, reopenWindowMs: number): Promise<KeyView> {
  const key = dedupKey(change.tenantId, change.host, change.checkId);
  const open = await findOpenTicket(db, key);
  if (open) return { open };
  const since = new Date(Date.parse(change.observedAt) - reopenWindowMs).toISOString();
  return { lastResolved: await findReopenable(db, key, since) };
}

/**
 * Plans with due times from the tenant's contract. A plan never waits, so it runs once to learn whether it
 * opens a ticket (and at which priority), then again with the due times read for it.
 */
async function planWithDue(db: Db, deps: ApplyDeps, plan: (d: PlanDeps) => TicketPlan): Promise<TicketPlan> {
  const base = {
    newId: deps.newId,
    now: deps.now,
    reopenWindowMs: deps.reopenWindowMs,
    maintenance: deps.maintenance,
  };
  let asked: { tenant: string; priority: Priority; openedAt: Date } | undefined;
  const first = plan({
    ...base,
    dueTimes: (tenant, priority, openedAt) => {
      asked = { tenant, priority, openedAt };
      return { responseDue: openedAt, resolutionDue: openedAt };
    },
  });
  if (!asked) return first;
  const due = await deps.dueTimes(db, asked.tenant, asked.priority, asked.openedAt);
  return plan({ ...base, dueTimes: () => due });
}

async function write(db: Db, plan: TicketPlan): Promise<TicketEffect | undefined> {
  if (plan.inserted) await insertTicket(db, plan.inserted);
  if (plan.updated) await updateTicket(db, plan.updated.id, plan.updated.changes);
  for (const e of plan.events) await addTicketEvent(db, e);
  return plan.effect;
}

export async function applyStatus(
  db: Db,
  change: StatusChange,
  deps: ApplyDeps,
): Promise<TicketEffect | undefined> {
  const view = await viewOf(db, change, deps.reopenWindowMs);
  return write(db, await planWithDue(db, deps, (d) => planStatus(view, change, d)));
}

/** Marks the key's ticket as flapping (opening one if needed), or back to a normal check ticket. */
export async function applyFlapping(
  db: Db,
  change: StatusChange,
  started: boolean,
  deps: ApplyDeps,
): Promise<TicketEffect | undefined> {
  const view = await viewOf(db, change, deps.reopenWindowMs);
  return write(db, await planWithDue(db, deps, (d) => planFlapping(view, change, started, d)));
}
