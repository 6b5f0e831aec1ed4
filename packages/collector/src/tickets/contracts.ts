// Each tenant's SLA contract (its own, or the collector's default), and the SLA clock of a ticket under it:
// due times in covered time of the contract's calendar, pushed back by the time spent waiting for the client.
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

export class ContractBook {
  private readonly cache = new Map<string, { raw: string | null; contract: SlaContract }>();
  private readonly fallback: SlaContract;

  constructor(defaultContract: unknown = DEFAULT_CONTRACT) {
    this.fallback = createSlaContract(defaultContract);
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
    const contract = raw === null ? this.fallback : createSlaContract(JSON.parse(raw) as unknown);
    this.cache.set(tenantId, { raw, contract });
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

export function clockOf(contract: SlaContract, t: TicketTable): SlaClock {
  return new SlaClock(contract, {
    priority: (t.priority ?? 'P4') as Priority,
    openedAt: new Date(t.opened_at),
    pauses: pausesOf(t),
  });
}
