// The maintenance windows in memory, for the hot path: "is a window running for this check now?" answered
// without a store round trip. Loaded from the store at start, reloaded after every change made through this
// collector and on a timer (for windows made through another collector sharing the store).
import type { SlaPause } from '../sla/clock.js';
import { type Interval, mergeIntervals } from '../sla/wall-clock.js';
import type { Db } from '../store/open.js';
import { runsBetween, type WindowTiming } from './recurrence.js';
import { type MaintenanceWindowTable, maintenanceDb } from './schema.js';
import { timingOf } from './store.js';

/** What a window may cover: a tenant, narrowed by application, host and check. */
export interface MaintenanceScope {
  tenantId: string;
  application?: string | undefined;
  host?: string | undefined;
  checkId?: string | undefined;
}

/** A window running at some instant, as the hot path and the page need it. */
export interface ActiveWindow {
  id: string;
  kind: string;
  reason: string;
  createdBy: string;
  /** When the run under way started and ends (ms); end Infinity for an open-ended one. */
  runStart: number;
  runEnd: number;
}

/** The query the ingest path, the notifier and the SLA clock use. */
export interface MaintenanceQuery {
  activeWindow(scope: MaintenanceScope, at: Date): ActiveWindow | undefined;
  /** The runs of the windows covering `scope` within [from, to), merged: pauses of its SLA clock. */
  pausesFor(scope: MaintenanceScope, from: Date, to: Date): SlaPause[];
}

/** No window ever: for tests and tools that run without the maintenance feature. */
export const NO_MAINTENANCE: MaintenanceQuery = {
  activeWindow: () => undefined,
  pausesFor: () => [],
};

const HORIZON_BEHIND_MS = 2 * 86_400_000;
const HORIZON_AHEAD_MS = 14 * 86_400_000;
/** Windows ended this long ago are not loaded: older SLA pauses are already in the tickets' due times. */
const KEEP_ENDED_MS = 120 * 86_400_000;

class CompiledWindow {
  readonly timing: WindowTiming;
  /** Runs within the cached horizon [from, to). */
  private runs: Interval[] = [];
  private from = 0;
  private to = 0;

  constructor(readonly row: MaintenanceWindowTable) {
    this.timing = timingOf(row);
  }

  covers(s: MaintenanceScope): boolean {
    const r = this.row;
    return (
      (r.application === null || r.application === s.application) &&
      (r.host === null || r.host === s.host) &&
      (r.check_id === null || r.check_id === s.checkId)
    );
  }

  /** The run under way at `at`, if any. */
  runAt(at: number): Interval | undefined {
    if (!this.timing.recurrence) {
      const end = Math.min(this.timing.endsAt, this.timing.cancelledAt);
      return this.timing.startsAt <= at && at < end ? { start: this.timing.startsAt, end } : undefined;
    }
    if (at < this.from || at >= this.to) {
      this.from = at - HORIZON_BEHIND_MS;
      this.to = at + HORIZON_AHEAD_MS;
      this.runs = runsBetween(this.timing, this.from, this.to);
    }
    return this.runs.find((iv) => iv.start <= at && at < iv.end);
  }
}

export class MaintenanceBook implements MaintenanceQuery {
  private byTenant = new Map<string, CompiledWindow[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

  /** Reads the windows that may still matter from the store (the ones running, to come, or recently ended). */
  async reload(): Promise<void> {
    const since = new Date(this.now().getTime() - KEEP_ENDED_MS).toISOString();
    const rows = await maintenanceDb(this.db)
      .selectFrom('maintenance_windows')
      .selectAll()
      .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>=', since)]))
      .where((eb) => eb.or([eb('cancelled_at', 'is', null), eb('cancelled_at', '>=', since)]))
      .execute();
    const next = new Map<string, CompiledWindow[]>();
    for (const row of rows) {
      const list = next.get(row.tenant_id) ?? [];
      list.push(new CompiledWindow(row));
      next.set(row.tenant_id, list);
    }
    this.byTenant = next;
  }

  /** Reloads every `intervalMs`; `onError` hears about a failed reload (the previous windows stay in force). */
  start(intervalMs: number, onError: (err: Error) => void): void {
    this.stop();
    this.timer = setInterval(() => {
      this.reload().catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  activeWindow(scope: MaintenanceScope, at: Date): ActiveWindow | undefined {
    const list = this.byTenant.get(scope.tenantId);
    if (!list) return undefined;
    const t = at.getTime();
    for (const w of list) {
      if (!w.covers(scope)) continue;
      const run = w.runAt(t);
      if (run) {
        return {
          id: w.row.id,
          kind: w.row.kind,
          reason: w.row.reason,
          createdBy: w.row.created_by,
          runStart: run.start,
          runEnd: run.end,
        };
      }
    }
    return undefined;
  }

  pausesFor(scope: MaintenanceScope, from: Date, to: Date): SlaPause[] {
    const list = this.byTenant.get(scope.tenantId);
    if (!list) return [];
    const runs: Interval[] = [];
    for (const w of list) {
      if (w.covers(scope)) runs.push(...runsBetween(w.timing, from.getTime(), to.getTime()));
    }
    return mergeIntervals(runs).map((iv) => ({
      from: new Date(iv.start),
      to: Number.isFinite(iv.end) ? new Date(iv.end) : undefined,
    }));
  }
}
