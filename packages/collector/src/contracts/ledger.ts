// The append-only ledger of a ticket book: every movement of units is an entry (id, ticket, units, who, when,
// why), recorded once by its key and never edited; a correction is a new entry that compensates an old one.
import { sql } from 'kysely';
import type { Db } from '../store/open.js';
import { contractDb, type LedgerEntryTable } from './migration.js';

/** Records the entry unless one with the same key exists; true when it was added. */
export async function appendEntry(db: Db, entry: LedgerEntryTable): Promise<boolean> {
  const r = await contractDb(db)
    .insertInto('contract_ledger')
    .values(entry)
    .onConflict((oc) => oc.column('entry_key').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** The balance: the sum of every entry, or of those effective at or before `asOf`. */
export async function balanceOf(db: Db, contractId: string, asOf?: string): Promise<number> {
  let q = contractDb(db)
    .selectFrom('contract_ledger')
    .select(sql<string | number | null>`sum(units)`.as('total'))
    .where('contract_id', '=', contractId);
  if (asOf !== undefined) q = q.where('effective_at', '<=', asOf);
  const row = await q.executeTakeFirst();
  // PostgreSQL returns sum(integer) as a bigint string.
  return Number(row?.total ?? 0);
}

export async function listEntries(db: Db, contractId: string): Promise<LedgerEntryTable[]> {
  return contractDb(db)
    .selectFrom('contract_ledger')
    .selectAll()
    .where('contract_id', '=', contractId)
    .orderBy('effective_at')
    .orderBy('id')
    .execute();
}

export async function getEntry(db: Db, id: string): Promise<LedgerEntryTable | undefined> {
  return contractDb(db).selectFrom('contract_ledger').selectAll().where('id', '=', id).executeTakeFirst();
}

export class LedgerError extends Error {
  constructor(
    readonly code: 'entry_not_found' | 'nothing_to_correct',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Corrects an entry to the value it should have had: adds an entry worth the difference between `units` and
 * what the entry and its earlier corrections sum to. The original stays as it was.
 */
export async function correctEntry(
  db: Db,
  p: {
    id: string;
    contractId: string;
    entryId: string;
    units: number;
    reason: string;
    actor: string;
    now: Date;
  },
): Promise<LedgerEntryTable> {
  const original = await getEntry(db, p.entryId);
  if (!original || original.contract_id !== p.contractId || original.kind === 'correction')
    throw new LedgerError(
      'entry_not_found',
      `no ledger entry ${p.entryId} to correct in contract ${p.contractId}`,
    );
  const earlier = await contractDb(db)
    .selectFrom('contract_ledger')
    .select('units')
    .where('corrects', '=', original.id)
    .execute();
  const current = original.units + earlier.reduce((s, e) => s + e.units, 0);
  const delta = p.units - current;
  if (delta === 0)
    throw new LedgerError('nothing_to_correct', `entry ${p.entryId} already amounts to ${p.units} units`);
  const at = p.now.toISOString();
  const entry: LedgerEntryTable = {
    id: p.id,
    contract_id: p.contractId,
    tenant_id: original.tenant_id,
    kind: 'correction',
    units: delta,
    ticket_id: original.ticket_id,
    priority: null,
    support_level: null,
    reason: p.reason,
    actor: p.actor,
    effective_at: at,
    recorded_at: at,
    corrects: original.id,
    entry_key: `correction:${p.id}`,
  };
  await appendEntry(db, entry);
  return entry;
}
