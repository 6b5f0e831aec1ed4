// What the queue shows beside each ticket that the ticket row does not hold: its SLA countdown in contract
// time, the maintenance window covering it now, and its check's category.
import { Type } from '@sinclair/typebox';
import type { MaintenanceQuery } from '../maintenance/book.js';
import type { SlaContract } from '../sla/targets.js';
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import type { CalendarInfo, ContractBook } from '../tickets/contracts.js';
import { type Countdown, countdownOf } from '../tickets/countdown.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const CountdownSchema = Type.Union([
  Type.Object({
    phase: Type.Union([Type.Literal('response'), Type.Literal('resolution')]),
    dueAt: Type.String({ description: 'wall-clock due time' }),
    remainingMs: Type.Number({ description: 'covered (contract) time left; negative when past due' }),
    targetMs: Type.Number(),
    running: Type.Boolean(),
    stoppedBy: Type.Union([
      Type.Literal('client'),
      Type.Literal('maintenance'),
      Type.Literal('hours'),
      Type.Null(),
    ]),
    calendar: Type.Union([Type.Literal('24x7'), Type.Literal('business')]),
    timeZone: Nullable(Type.String()),
    asOf: Type.String(),
  }),
  Type.Null(),
]);

export const TicketExtrasSchema = {
  category: Type.Optional(
    Type.String({ description: 'performance | backup | security | drift | agent | request | other' }),
  ),
  countdown: Type.Optional(CountdownSchema),
  maintenance: Type.Optional(
    Type.Union([
      Type.Object({ id: Type.String(), reason: Type.String(), until: Nullable(Type.String()) }),
      Type.Null(),
    ]),
  ),
};

export interface TicketExtras {
  category: string;
  countdown: Countdown | null;
  maintenance: { id: string; reason: string; until: string | null } | null;
}

export async function ticketExtras(
  db: Db,
  tickets: readonly TicketTable[],
  deps: { contracts: ContractBook; now: () => Date; maintenance?: MaintenanceQuery | undefined },
): Promise<Map<string, TicketExtras>> {
  const now = deps.now();
  const categories = await categoriesOf(db, tickets);
  const out = new Map<string, TicketExtras>();
  // One contract read per tenant, not per ticket: a queue of a thousand tickets has a handful of tenants.
  const contracts = new Map<string, [SlaContract, CalendarInfo]>();
  for (const tenant of new Set(tickets.map((t) => t.tenant_id)))
    contracts.set(tenant, [
      await deps.contracts.forTenant(db, tenant),
      await deps.contracts.calendarOf(db, tenant),
    ]);
  for (const t of tickets) {
    const [contract, info] = contracts.get(t.tenant_id) as [SlaContract, CalendarInfo];
    const scope = { tenantId: t.tenant_id, application: t.application, host: t.host, checkId: t.check_id };
    const window = deps.maintenance?.activeWindow(scope, now);
    out.set(t.id, {
      category: categories.get(t.id) ?? 'other',
      countdown: countdownOf(t, contract, info, now, deps.maintenance, window),
      maintenance: window
        ? {
            id: window.id,
            reason: window.reason,
            until: Number.isFinite(window.runEnd) ? new Date(window.runEnd).toISOString() : null,
          }
        : null,
    });
  }
  return out;
}

async function categoriesOf(db: Db, tickets: readonly TicketTable[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const checks = tickets.filter((t) => {
    if (t.kind === 'agent_unreachable') out.set(t.id, 'agent');
    else if (t.kind === 'request') out.set(t.id, 'request');
    else if (t.check_id.startsWith('parity:')) out.set(t.id, 'drift');
    else return true;
    return false;
  });
  if (checks.length === 0) return out;
  const rows = await db
    .selectFrom('check_states')
    .select(['tenant_id', 'host', 'check_id', 'category'])
    // The tenants too, so that the primary key (tenant, host, check) is used rather than a scan.
    .where('tenant_id', 'in', [...new Set(checks.map((t) => t.tenant_id))])
    .where('host', 'in', [...new Set(checks.map((t) => t.host))])
    .where('check_id', 'in', [...new Set(checks.map((t) => t.check_id))])
    .execute();
  const byKey = new Map(rows.map((r) => [`${r.tenant_id}/${r.host}/${r.check_id}`, r.category]));
  for (const t of checks) {
    const c = byKey.get(`${t.tenant_id}/${t.host}/${t.check_id}`);
    if (c) out.set(t.id, c);
  }
  return out;
}
