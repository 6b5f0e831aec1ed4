// The accounting pass: reacts to the ticket rows, not to the ingest. Each new ticket is marked once (counted,
// not counted, out of scope, or beyond contract when its ticket book was exhausted when it opened), and each
// counted ticket of a ticket book is deducted once, when it is resolved or when it opens (a contract setting),
// by an idempotent ledger entry. Run from the collector's periodic sweep: it lags the tickets by one interval.
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import { timelineEvent } from '../tickets/apply.js';
import type { Priority } from '../tickets/priority.js';
import type { SupportLevel } from '../tickets/workflow.js';
import { appendEntry, balanceOf } from './ledger.js';
import { type ContractTicketTable, contractDb } from './migration.js';
import { type ContractDefinition, countedKindOf, coversDate, inScope, priceOf } from './model.js';
import type { NoticeSender } from './notices.js';
import { type Contract, listContracts, moveBalanceAlert } from './store.js';

export const ACCOUNTING_ACTOR = 'vigie';

export interface AccountingDeps {
  db: Db;
  now: () => Date;
  newId: () => string;
  notices: NoticeSender;
}

export interface AccountingOutcome {
  /** Tickets marked in this pass, by scope. */
  marked: Record<string, number>;
  /** Deductions recorded in this pass. */
  deducted: Array<{ contractId: string; ticketId: string; units: number }>;
  /** Balance alerts raised in this pass. */
  alerts: Array<{ contractId: string; level: 'low' | 'exhausted'; balance: number }>;
}

type Event =
  | { at: string; kind: 'mark'; ticket: TicketTable }
  | { at: string; kind: 'deduct'; ticket: TicketTable; contract: Contract };

const ACTIVE = ['open', 'acknowledged', 'in_progress', 'waiting'];

export async function accountingPass(deps: AccountingDeps): Promise<AccountingOutcome> {
  const outcome: AccountingOutcome = { marked: {}, deducted: [], alerts: [] };
  const contracts = await listContracts(deps.db, null);
  const byTenant = new Map<string, Contract[]>();
  for (const c of contracts) byTenant.set(c.row.tenant_id, [...(byTenant.get(c.row.tenant_id) ?? []), c]);
  for (const [tenant, list] of byTenant) await tenantPass(deps, tenant, list, outcome);
  for (const c of contracts) if (c.definition.ticketBook) await balanceAlert(deps, c, outcome);
  return outcome;
}

async function tenantPass(
  deps: AccountingDeps,
  tenant: string,
  contracts: Contract[],
  outcome: AccountingOutcome,
): Promise<void> {
  const cdb = contractDb(deps.db);
  // A day of margin: contract dates are local dates, tickets are stamped in UTC.
  const earliest = contracts.map((c) => c.definition.startsOn).sort()[0] as string;
  const since = new Date(Date.parse(`${earliest}T00:00:00Z`) - 86_400_000).toISOString();
  const unmarked = await cdb
    .selectFrom('tickets as t')
    .leftJoin('contract_tickets as ct', 'ct.ticket_id', 't.id')
    .selectAll('t')
    .where('t.tenant_id', '=', tenant)
    .where('t.opened_at', '>=', since)
    .where('ct.ticket_id', 'is', null)
    .execute();
  const books = contracts.filter((c) => c.definition.ticketBook);
  const pending =
    books.length === 0
      ? []
      : await cdb
          .selectFrom('tickets as t')
          .innerJoin('contract_tickets as ct', 'ct.ticket_id', 't.id')
          .selectAll('t')
          .select('ct.contract_id as contract_id')
          .where(
            'ct.contract_id',
            'in',
            books.map((c) => c.row.id),
          )
          .where((eb) =>
            eb.or([
              eb('ct.scope', '=', 'counted'),
              eb.and([eb('ct.scope', '=', 'beyond_contract'), eb('ct.decision', '=', 'charge')]),
            ]),
          )
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('contract_ledger as l')
                  .select('l.id')
                  .whereRef('l.ticket_id', '=', 't.id')
                  .where('l.kind', '=', 'deduction'),
              ),
            ),
          )
          .execute();
  const events: Event[] = unmarked.map((t) => ({ at: t.opened_at, kind: 'mark' as const, ticket: t }));
  for (const row of pending) {
    const { contract_id, ...ticket } = row;
    const contract = books.find((c) => c.row.id === contract_id) as Contract;
    const due = deductionDue(contract.definition, ticket);
    if (due) events.push({ at: due, kind: 'deduct', ticket, contract });
  }
  // In time order, so that a ticket opened after another one's deduction sees the balance it left.
  const queue = sortEvents(events);
  while (queue.length > 0) {
    const e = queue.shift() as Event;
    if (e.kind === 'deduct') {
      await deduct(deps, e.contract, e.ticket, e.at, outcome);
      continue;
    }
    const mark = await markTicket(deps, contracts, e.ticket);
    outcome.marked[mark.scope] = (outcome.marked[mark.scope] ?? 0) + 1;
    const contract = contracts.find((c) => c.row.id === mark.contract_id);
    if (contract?.definition.ticketBook && mark.scope === 'counted') {
      const due = deductionDue(contract.definition, e.ticket);
      if (due) {
        queue.push({ at: due, kind: 'deduct', ticket: e.ticket, contract });
        queue.splice(0, queue.length, ...sortEvents(queue));
      }
    }
  }
}

function sortEvents(events: Event[]): Event[] {
  // Marks before deductions at the same instant: a ticket is marked as of its opening.
  return events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.kind === 'mark' ? -1 : 1));
}

/** When the ticket's deduction falls due under the contract, if it does by now. */
function deductionDue(d: ContractDefinition, t: TicketTable): string | undefined {
  if (d.ticketBook?.deductAt === 'opened') return t.opened_at;
  if (!ACTIVE.includes(t.status) && t.resolved_at) return t.resolved_at;
  return undefined;
}

async function markTicket(
  deps: AccountingDeps,
  contracts: Contract[],
  t: TicketTable,
): Promise<ContractTicketTable> {
  const opened = new Date(t.opened_at);
  const running = contracts.filter((c) => coversDate(c.definition, opened));
  const contract = running.find((c) => inScope(c.definition, t));
  const kind = countedKindOf(t);
  let scope: string;
  let reason: string;
  if (!contract) {
    scope = 'out_of_scope';
    reason =
      running.length === 0
        ? `opened on a day no contract of ${t.tenant_id} covers`
        : `host ${t.host} (application ${t.application || '-'}) is not in the scope of ${running.map((c) => c.definition.name).join(', ')}`;
  } else if (!contract.definition.counts.includes(kind)) {
    scope = 'not_counted';
    reason = `${kind} tickets do not count against ${contract.definition.name}`;
  } else if (
    contract.definition.ticketBook &&
    (await balanceOf(deps.db, contract.row.id, t.opened_at)) <= 0
  ) {
    scope = 'beyond_contract';
    reason = `opened while the ticket book ${contract.definition.name} was exhausted: the provider decides`;
  } else {
    scope = 'counted';
    reason = `counts against ${contract.definition.name} (${contract.definition.type})`;
  }
  const row: ContractTicketTable = {
    ticket_id: t.id,
    tenant_id: t.tenant_id,
    contract_id: contract?.row.id ?? null,
    scope,
    reason,
    marked_at: deps.now().toISOString(),
    decision: null,
    decision_note: null,
    decided_by: null,
    decided_at: null,
  };
  const r = await contractDb(deps.db)
    .insertInto('contract_tickets')
    .values(row)
    .onConflict((oc) => oc.column('ticket_id').doNothing())
    .executeTakeFirst();
  // Another pass marked it first: its mark stands, and it wrote the timeline.
  if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return row;
  if (scope === 'out_of_scope' || scope === 'beyond_contract') {
    await timelineEvent(deps.db, deps, t.id, scope, ACCOUNTING_ACTOR, { reason, contract: row.contract_id });
  }
  return row;
}

async function deduct(
  deps: AccountingDeps,
  contract: Contract,
  t: TicketTable,
  at: string,
  outcome: AccountingOutcome,
): Promise<void> {
  const book = contract.definition.ticketBook;
  if (!book) return;
  // At opening a ticket is charged at its opening priority and level N1; at resolution at its priority then
  // and the highest level it reached (levels only go up in the workflow, so the current one).
  const opening = book.deductAt === 'opened';
  const priority = (t.priority ?? 'P4') as Priority;
  const level = (opening ? 'N1' : (t.support_level ?? 'N1')) as SupportLevel;
  const units = priceOf(book.prices, priority, level);
  const added = await appendEntry(deps.db, {
    id: deps.newId(),
    contract_id: contract.row.id,
    tenant_id: t.tenant_id,
    kind: 'deduction',
    units: -units,
    ticket_id: t.id,
    priority,
    support_level: level,
    reason: `${priority} ticket ${opening ? 'opened' : `resolved at ${level}`}: ${t.title}`.slice(0, 500),
    actor: ACCOUNTING_ACTOR,
    effective_at: at,
    recorded_at: deps.now().toISOString(),
    corrects: null,
    entry_key: `deduction:${t.id}`,
  });
  if (added) outcome.deducted.push({ contractId: contract.row.id, ticketId: t.id, units });
}

const ALERT_RANK: Record<string, number> = { ok: 0, low: 1, exhausted: 2 };

/** Notifies the provider and the client once when the balance falls to the threshold, and once when it runs out. */
async function balanceAlert(deps: AccountingDeps, c: Contract, outcome: AccountingOutcome): Promise<void> {
  const book = c.definition.ticketBook;
  if (!book) return;
  const balance = await balanceOf(deps.db, c.row.id);
  const level = balance <= 0 ? 'exhausted' : balance <= book.lowBalance ? 'low' : 'ok';
  const previous = c.row.balance_alert;
  if (level === previous || !(await moveBalanceAlert(deps.db, c.row.id, previous, level))) return;
  if ((ALERT_RANK[level] ?? 0) <= (ALERT_RANK[previous] ?? 0) || level === 'ok') return;
  outcome.alerts.push({ contractId: c.row.id, level, balance });
  const fr = c.definition.language === 'fr';
  const subject =
    level === 'exhausted'
      ? fr
        ? `Carnet de tickets épuisé : ${c.definition.name}`
        : `Ticket book exhausted: ${c.definition.name}`
      : fr
        ? `Solde bas du carnet de tickets : ${c.definition.name}`
        : `Ticket book balance low: ${c.definition.name}`;
  const text =
    level === 'exhausted'
      ? fr
        ? `Le solde est de ${balance} unités. La supervision et les tickets continuent ; les nouveaux tickets sont marqués « hors contrat » jusqu'à un réapprovisionnement.`
        : `The balance is ${balance} units. Monitoring and tickets go on; new tickets are marked "beyond contract" until a top-up.`
      : fr
        ? `Le solde est de ${balance} unités, au seuil d'alerte de ${book.lowBalance} ou en dessous.`
        : `The balance is ${balance} units, at or under the alert threshold of ${book.lowBalance}.`;
  await deps.notices.send(deps.db, {
    kind: level === 'exhausted' ? 'contract.exhausted' : 'contract.low_balance',
    tenant: c.row.tenant_id,
    subject,
    text,
    details: { contractId: c.row.id, contract: c.definition.name, balance, lowBalance: book.lowBalance },
  });
}
