// Contract rows: create, replace the definition, read. A ticket book's initial units are its first ledger entry.
import type { Db } from '../store/open.js';
import { appendEntry } from './ledger.js';
import { type ContractTable, contractDb } from './migration.js';
import type { ContractDefinition } from './model.js';

export interface Contract {
  row: ContractTable;
  definition: ContractDefinition;
}

export function toContract(row: ContractTable): Contract {
  return { row, definition: JSON.parse(row.definition) as ContractDefinition };
}

export async function createContract(
  db: Db,
  p: {
    id: string;
    tenantId: string;
    definition: ContractDefinition;
    actor: string;
    now: Date;
    newId: () => string;
  },
): Promise<Contract> {
  const at = p.now.toISOString();
  const row: ContractTable = {
    id: p.id,
    tenant_id: p.tenantId,
    type: p.definition.type,
    name: p.definition.name,
    starts_on: p.definition.startsOn,
    ends_on: p.definition.endsOn,
    definition: JSON.stringify(p.definition),
    balance_alert: 'ok',
    created_at: at,
    created_by: p.actor,
    updated_at: at,
  };
  await contractDb(db).insertInto('contracts').values(row).execute();
  if (p.definition.ticketBook) {
    await appendEntry(db, {
      id: p.newId(),
      contract_id: row.id,
      tenant_id: row.tenant_id,
      kind: 'initial',
      units: p.definition.ticketBook.initialUnits,
      ticket_id: null,
      priority: null,
      support_level: null,
      reason: 'units bought with the contract',
      actor: p.actor,
      effective_at:
        `${p.definition.startsOn}T00:00:00.000Z` < at ? `${p.definition.startsOn}T00:00:00.000Z` : at,
      recorded_at: at,
      corrects: null,
      entry_key: `initial:${row.id}`,
    });
  }
  return { row, definition: p.definition };
}

/** Replaces the definition (not the type: a ticket book does not become a régie; make a new contract). */
export async function replaceDefinition(
  db: Db,
  id: string,
  definition: ContractDefinition,
  now: Date,
): Promise<void> {
  await contractDb(db)
    .updateTable('contracts')
    .set({
      name: definition.name,
      starts_on: definition.startsOn,
      ends_on: definition.endsOn,
      definition: JSON.stringify(definition),
      updated_at: now.toISOString(),
    })
    .where('id', '=', id)
    .execute();
}

export async function getContract(db: Db, id: string): Promise<Contract | undefined> {
  const row = await contractDb(db)
    .selectFrom('contracts')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toContract(row) : undefined;
}

/** Contracts of a tenant (or of every tenant), oldest first. */
export async function listContracts(db: Db, tenantId: string | null): Promise<Contract[]> {
  let q = contractDb(db).selectFrom('contracts').selectAll().orderBy('starts_on').orderBy('id');
  if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
  return (await q.execute()).map(toContract);
}

/** Moves the balance alert from `from` to `to`; false when another pass moved it first (notify once). */
export async function moveBalanceAlert(db: Db, id: string, from: string, to: string): Promise<boolean> {
  const r = await contractDb(db)
    .updateTable('contracts')
    .set({ balance_alert: to })
    .where('id', '=', id)
    .where('balance_alert', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
