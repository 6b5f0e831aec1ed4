// Each tenant's SLA contract (its own, or the collector's default), and the SLA clock of a ticket under it:
// due times in covered time of the contract's calendar, pushed back by the time spent waiting for the client.
import type { MaintenanceQuery } from '../maintenance/book.js';
import { SlaClock, type SlaPause } from '../sla/clock.js';
import { createSlaContract, type SlaContract } from '../sla/targets.js';
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import type { DueTimes } from './apply.js';
import type { Priority } from './priority.js';

/** The default contract: the 2 h / 6 h / 24 h response targets of the brief, around the clock. */
export const DEFAULT_CONTRACT = {
  calendar: { kind: '24x7' },
  response: { P1: '2h', P2: '6h', P3: '24h', P4: '72h' },
  resolution: { P1: '8h', P2: '24h', P3: '72h', P4: '240h' },
  atRiskShare: 0.75,
} as const;

/** How a contract's clock runs, as the page shows it beside a countdown. */
export interface CalendarInfo {
  kind: '24x7' | 'business';
  /** The calendar's zone (business hours only). */
  timeZone: string | null;
}

function calendarInfo(config: unknown): CalendarInfo {
  const c = (config as { calendar?: { kind?: unknown; timeZone?: unknown } } | null)?.calendar;
  return c?.kind === 'business'
    ? { kind: 'business', timeZone: typeof c.timeZone === 'string' ? c.timeZone : null }
    : { kind: '24x7', timeZone: null };
}

export class ContractBook {
  private readonly cache = new Map<
    string,
    { raw: string | null; contract: SlaContract; info: CalendarInfo }
  >();
  private readonly fallback: SlaContract;
  private readonly fallbackInfo: CalendarInfo;

  constructor(defaultContract: unknown = DEFAULT_CONTRACT) {
    this.fallback = createSlaContract(defaultContract);
    this.fallbackInfo = calendarInfo(defaultContract);
  }

  /** The kind and zone of a tenant's calendar (after forTenant has read its contract). */
  async calendarOf(db: Db, tenantId: string): Promise<CalendarInfo> {
    await this.forTenant(db, tenantId);
    return this.cache.get(tenantId)?.info ?? this.fallbackInfo;
  }

  /** The contract of a tenant (re-read when its stored JSON changes). */
  async forTenant(db: Db, tenantId: string): Promise<SlaContract> {
    const row = await db
      .selectFrom('tenants')
      .select('contract')
      .where('id', '=', tenantId)
      .executeTakeFirst();
    const raw = row?.contract ?? null;
    const hit = this.cache.get(tenantId);
    if (hit && hit.raw === raw) return hit.contract;
    const config = raw === null ? null : (JSON.parse(raw) as unknown);
    const contract = config === null ? this.fallback : createSlaContract(config);
    const info = config === null ? this.fallbackInfo : calendarInfo(config);
    this.cache.set(tenantId, { raw, contract, info });
    return contract;
  }

  /** Due times under a tenant's contract, read once: for planners that must not wait. */
  async dueTimesOf(
    db: Db,
    tenantId: string,
  ): Promise<(priority: Priority, openedAt: Date) => { responseDue: Date; resolutionDue: Date }> {
    const contract = await this.forTenant(db, tenantId);
    return (priority, openedAt) => {
      const clock = new SlaClock(contract, { priority, openedAt });
      return { responseDue: clock.responseDue as Date, resolutionDue: clock.resolutionDue as Date };
    };
  }

  dueTimes(): DueTimes {
    return async (db, tenantId, priority, openedAt) => {
      const clock = new SlaClock(await this.forTenant(db, tenantId), { priority, openedAt });
      return { responseDue: clock.responseDue as Date, resolutionDue: clock.resolutionDue as Date };
    };
  }
}

/** The pauses of a ticket (JSON in `tickets.pauses`), with the current wait still open. */
export function pausesOf(t: TicketTable): SlaPause[] {
  const done = (JSON.parse(t.pauses ?? '[]') as Array<{ from: string; to: string }>).map((p) => ({
    from: new Date(p.from),
    to: new Date(p.to),
  }));
  return t.waiting_since ? [...done, { from: new Date(t.waiting_since) }] : done;
}

/** The ticket's SLA clock; `maintenance`: the runs of maintenance windows covering it, which stop the clock too. */
export function clockOf(
  contract: SlaContract,
  t: TicketTable,
  maintenance: readonly SlaPause[] = [],
): SlaClock {
  return new SlaClock(contract, {
    priority: (t.priority ?? 'P4') as Priority,
    openedAt: new Date(t.opened_at),
    pauses: [...pausesOf(t), ...maintenance],
  });
}

/** The maintenance runs covering a ticket from its opening to `until`: pauses of its SLA clock. */
export function maintenancePauses(
  book: MaintenanceQuery | undefined,
  t: TicketTable,
  until: Date,
): SlaPause[] {
  if (!book) return [];
  const scope = { tenantId: t.tenant_id, application: t.application, host: t.host, checkId: t.check_id };
  return book.pausesFor(scope, new Date(t.opened_at), until);
}
