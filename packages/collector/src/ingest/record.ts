// Stage: the group's one transaction. It reads the tickets of every key the group's results touch (one
// statement, rows locked on PostgreSQL), plans each ticket change in order with the pure rules of
// tickets/plan.ts, and writes tickets, timelines, notifications, material check states and stream marks in a
// few multi-row statements. Only after the commit do the host states in memory take the group's changes; the
// rest of each check's latest result waits for the write-behind.

import type { MaintenanceQuery } from '../maintenance/book.js';
import type { TicketEventTable, TicketTable } from '../store/schema.js';
import type { Notifier } from '../tickets/notifier.js';
import { type KeyView, notificationFor, type PlanDeps, planIntent } from '../tickets/plan.js';
import type { Priority } from '../tickets/priority.js';
import type { IngestBatch, IngestGroup, Stage } from './pipeline.js';
import { emptyWrite, type GroupWrite, type IngestStore } from './store/types.js';

type Due = { responseDue: Date; resolutionDue: Date };
/** Due times under a tenant's contract, read before the transaction so that planning never waits. */
export type DueTimesOf = (tenantId: string) => Promise<(priority: Priority, openedAt: Date) => Due>;

export interface RecordDeps {
  store: IngestStore;
  newId: () => string;
  now: () => Date;
  reopenWindowMs: number;
  dueTimesOf: DueTimesOf;
  notifier: Notifier;
  maintenance?: MaintenanceQuery;
  /** Counts the transactions replanned after losing a race on an open ticket's key. */
  onConflict?: () => void;
}

const CLOSED = new Set(['resolved', 'closed']);

/** The group holds hosts this collector no longer owns: nothing of it may be written. */
export class LeaseLostError extends Error {
  constructor(readonly hosts: string[]) {
    super(`this collector no longer holds the lease of ${hosts.join(', ')}: another collector owns it now`);
    this.name = 'LeaseLostError';
  }
}

/**
 * Another writer opened a ticket on one of the group's keys between our read and our insert: the database's
 * partial unique index on open tickets' keys (tickets_one_open_per_key) refused ours. Several collectors on
 * one PostgreSQL, or a host whose lease moved, can get there.
 */
export function isOpenTicketConflict(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e.code === '23505') return e.constraint === 'tickets_one_open_per_key';
  return (
    e.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    typeof e.message === 'string' &&
    e.message.includes('tickets.dedup_key')
  );
}

/** Tries of a group's transaction when it loses such a race: each retry reads the winner's ticket. */
const CONFLICT_TRIES = 3;

export class RecordStage implements Stage {
  readonly name = 'record';
  constructor(private readonly deps: RecordDeps) {}

  async run(group: IngestGroup): Promise<void> {
    const dueByTenant = new Map<string, (priority: Priority, openedAt: Date) => Due>();
    let since = Number.POSITIVE_INFINITY;
    const keys = new Set<string>();
    for (const b of group.batches) {
      if (b.intents.length === 0) continue;
      if (!dueByTenant.has(b.session.tenantId))
        dueByTenant.set(b.session.tenantId, await this.deps.dueTimesOf(b.session.tenantId));
      for (const { key, intent } of b.intents) {
        keys.add(key);
        since = Math.min(since, Date.parse(intent.change.observedAt) - this.deps.reopenWindowMs);
      }
    }
    const planDeps: PlanDeps = {
      newId: this.deps.newId,
      now: this.deps.now,
      reopenWindowMs: this.deps.reopenWindowMs,
      maintenance: this.deps.maintenance,
      dueTimes: (tenant, priority, openedAt) =>
        (dueByTenant.get(tenant) as (p: Priority, o: Date) => Due)(priority, openedAt),
    };
    // The loser of a race on a key plans again against the winner's ticket: its open becomes an occurrence.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.store.transaction(async (tx) => {
          const hosts = new Map(
            group.batches.map((b) => [`${b.session.tenantId}/${b.session.host}`, b.host]),
          );
          const held = await tx.fence([...hosts].map(([key, h]) => ({ key, generation: h.generation })));
          const lost = [...hosts].filter(([key, h]) => h.retired || !held.has(key)).map(([key]) => key);
          if (lost.length > 0) throw new LeaseLostError(lost);
          const rows =
            keys.size > 0
              ? await tx.ticketsOf([...keys], new Date(Number.isFinite(since) ? since : 0).toISOString())
              : [];
          await tx.write(this.plan(group, viewsOf(rows), planDeps));
        });
        break;
      } catch (err) {
        if (attempt >= CONFLICT_TRIES || !isOpenTicketConflict(err)) throw err;
        this.deps.onConflict?.();
      }
    }
    for (const b of group.batches) commitToMemory(b);
  }

  /** Plans every batch's ticket work against the views, and gathers everything the group writes. */
  private plan(group: IngestGroup, views: Map<string, KeyView>, planDeps: PlanDeps): GroupWrite {
    const w = emptyWrite();
    const touched = new Map<string, { row: TicketTable; isNew: boolean }>();
    const timeline = new TimelineRows();
    for (const b of group.batches) {
      b.effects = [];
      for (const { key, intent } of b.intents) {
        const plan = planIntent(views.get(key) ?? {}, intent, planDeps);
        views.set(key, plan.view);
        for (const e of plan.events) timeline.add(e);
        const effect = plan.effect;
        if (!effect) continue;
        if (plan.inserted || plan.updated) {
          const before = touched.get(effect.ticket.id);
          touched.set(effect.ticket.id, {
            row: effect.ticket,
            isNew: before?.isNew ?? plan.inserted !== undefined,
          });
        }
        b.effects.push(effect);
        const kind = notificationFor(effect);
        if (kind) w.deliveries.push(...this.deps.notifier.deliveries(effect.ticket, kind));
      }
      const s = b.session;
      for (const id of b.material)
        w.checkStates.push(b.host.row(b.next.get(id) as NonNullable<ReturnType<typeof b.next.get>>));
      if (s.epoch !== undefined && b.highWater !== undefined) {
        const mark = b.host.streams.get(s.epoch);
        if (mark === undefined || !b.host.knownEpochs.has(s.epoch) || b.highWater > mark) {
          w.streams.push({
            tenant_id: s.tenantId,
            host: s.host,
            epoch: s.epoch,
            high_water: b.highWater,
            updated_at: new Date(b.receivedAt).toISOString(),
          });
        }
      }
      const at = new Date(b.receivedAt).toISOString();
      for (const id of b.seenIds) w.seen.push({ result_id: id, tenant_id: s.tenantId, received_at: at });
    }
    for (const { row, isNew } of touched.values()) (isNew ? w.ticketInserts : w.ticketUpdates).push(row);
    w.ticketEvents = timeline.rows();
    return w;
  }
}

/** The open ticket and the latest resolved one of each key, from the rows read. */
function viewsOf(rows: TicketTable[]): Map<string, KeyView> {
  const views = new Map<string, KeyView>();
  for (const t of rows) {
    const v = views.get(t.dedup_key) ?? {};
    if (!CLOSED.has(t.status)) v.open = t;
    else if (
      t.status === 'resolved' &&
      (!v.lastResolved || (t.resolved_at ?? '') > (v.lastResolved.resolved_at ?? ''))
    )
      v.lastResolved = t;
    views.set(t.dedup_key, v);
  }
  return views;
}

/**
 * Timeline rows of a group, with repeats folded: consecutive occurrences of one ticket become one row that
 * says how many (`count`) and from which result (`firstResultId`) to which (`resultId`).
 */
class TimelineRows {
  private readonly list: TicketEventTable[] = [];
  private readonly last = new Map<string, { index: number; details: Record<string, unknown> }>();

  add(e: TicketEventTable): void {
    const prev = this.last.get(e.ticket_id);
    if (e.kind === 'occurrence') {
      const details = JSON.parse(e.details) as Record<string, unknown>;
      const before = prev ? this.list[prev.index] : undefined;
      if (prev && before?.kind === 'occurrence') {
        const merged = {
          ...details,
          count: Number(prev.details.count ?? 1) + 1,
          firstResultId: prev.details.firstResultId ?? prev.details.resultId,
        };
        this.list[prev.index] = { ...before, details: JSON.stringify(merged) };
        this.last.set(e.ticket_id, { index: prev.index, details: merged });
        return;
      }
      const first = { ...details, count: 1 };
      this.list.push({ ...e, details: JSON.stringify(first) });
      this.last.set(e.ticket_id, { index: this.list.length - 1, details: first });
      return;
    }
    this.list.push(e);
    this.last.set(e.ticket_id, { index: this.list.length - 1, details: {} });
  }

  rows(): TicketEventTable[] {
    return this.list;
  }
}

/** After the commit: the host's state in memory takes the batch's changes. */
function commitToMemory(b: IngestBatch): void {
  const h = b.host;
  for (const [id, state] of b.next) {
    h.checks.set(id, state);
    if (b.material.has(id)) h.behind.delete(id);
    else h.behind.add(id);
  }
  const epoch = b.session.epoch;
  if (epoch !== undefined && b.highWater !== undefined) {
    h.streams.set(epoch, Math.max(h.streams.get(epoch) ?? 0, b.highWater));
    h.knownEpochs.add(epoch);
  }
  h.lastSeenMs = Math.max(h.lastSeenMs ?? 0, b.receivedAt);
  h.lastSeenDirty = true;
  if (b.skewMs !== undefined) h.clockSkewMs = Math.round(b.skewMs);
}
