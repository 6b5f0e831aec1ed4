// The contract tables (part of migration 0008_tma_contract): contracts, their append-only ledger of units,
// what the accounting decided about each ticket (scope, beyond contract), and the régie work logs.
import { type Kysely, type Migration, sql } from 'kysely';
import type { Db } from '../store/open.js';
import type { Database } from '../store/schema.js';

export interface ContractTable {
  id: string;
  tenant_id: string;
  type: string;
  name: string;
  starts_on: string;
  ends_on: string | null;
  /** The whole ContractDefinition as JSON (type, dates and scope are also columns, for queries). */
  definition: string;
  /** The last balance alert notified: ok | low | exhausted (ticket books). */
  balance_alert: string;
  created_at: string;
  created_by: string;
  updated_at: string;
}

/** One movement of units: never updated nor deleted; a correction is another entry that compensates. */
export interface LedgerEntryTable {
  id: string;
  contract_id: string;
  tenant_id: string;
  /** initial | top_up | deduction | supplement | correction */
  kind: string;
  /** Positive credits the book, negative debits it. */
  units: number;
  ticket_id: string | null;
  /** What a deduction charged: the ticket's priority and highest support level. */
  priority: string | null;
  support_level: string | null;
  reason: string;
  actor: string;
  /** When the movement happened (a ticket's resolution or opening, a top-up's recording). */
  effective_at: string;
  recorded_at: string;
  /** The entry a correction compensates. */
  corrects: string | null;
  /** Unique: the same movement recorded twice (two passes, two collectors) is one entry. */
  entry_key: string;
}

/** What the accounting decided about a ticket, once. */
export interface ContractTicketTable {
  ticket_id: string;
  tenant_id: string;
  /** null: no contract of the tenant covers the ticket's host or application. */
  contract_id: string | null;
  /** counted | not_counted | out_of_scope | beyond_contract */
  scope: string;
  reason: string;
  marked_at: string;
  /** For a ticket beyond contract: charge | waive | bill_separately. */
  decision: string | null;
  decision_note: string | null;
  decided_by: string | null;
  decided_at: string | null;
}

export interface WorkLogTable {
  id: string;
  tenant_id: string;
  ticket_id: string;
  application: string;
  person: string;
  minutes: number;
  description: string;
  worked_at: string;
  created_at: string;
  created_by: string;
  /** A log entered by mistake is cancelled, never deleted: totals skip it, the history keeps it. */
  cancelled_at: string | null;
  cancelled_by: string | null;
}

/** A type, not an interface: Kysely's `withTables` needs an indexable map of tables. */
export type ContractTables = {
  contracts: ContractTable;
  contract_ledger: LedgerEntryTable;
  contract_tickets: ContractTicketTable;
  work_logs: WorkLogTable;
};

export type ContractDb = Kysely<Database & ContractTables>;

export function contractDb(db: Db): ContractDb {
  return db.withTables<ContractTables>();
}

export const contractsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('contracts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('starts_on', 'text', (c) => c.notNull())
      .addColumn('ends_on', 'text')
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('balance_alert', 'text', (c) => c.notNull().defaultTo('ok'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('contracts_tenant')
      .on('contracts')
      .columns(['tenant_id', 'starts_on'])
      .execute();
    await db.schema
      .createTable('contract_ledger')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('contract_id', 'text', (c) => c.notNull().references('contracts.id'))
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('units', 'integer', (c) => c.notNull())
      .addColumn('ticket_id', 'text')
      .addColumn('priority', 'text')
      .addColumn('support_level', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('effective_at', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'text', (c) => c.notNull())
      .addColumn('corrects', 'text')
      .addColumn('entry_key', 'text', (c) => c.notNull().unique())
      .execute();
    await db.schema
      .createIndex('contract_ledger_contract')
      .on('contract_ledger')
      .columns(['contract_id', 'effective_at'])
      .execute();
    await db.schema
      .createIndex('contract_ledger_ticket')
      .on('contract_ledger')
      .columns(['ticket_id', 'kind'])
      .where(sql.ref('ticket_id'), 'is not', null)
      .execute();
    await db.schema
      .createTable('contract_tickets')
      .addColumn('ticket_id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('contract_id', 'text')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('marked_at', 'text', (c) => c.notNull())
      .addColumn('decision', 'text')
      .addColumn('decision_note', 'text')
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'text')
      .execute();
    await db.schema
      .createIndex('contract_tickets_contract')
      .on('contract_tickets')
      .columns(['contract_id', 'scope'])
      .execute();
    await db.schema
      .createTable('work_logs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('ticket_id', 'text', (c) => c.notNull().references('tickets.id'))
      .addColumn('application', 'text', (c) => c.notNull())
      .addColumn('person', 'text', (c) => c.notNull())
      .addColumn('minutes', 'integer', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('worked_at', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('cancelled_at', 'text')
      .addColumn('cancelled_by', 'text')
      .execute();
    await db.schema
      .createIndex('work_logs_tenant')
      .on('work_logs')
      .columns(['tenant_id', 'worked_at'])
      .execute();
    await db.schema.createIndex('work_logs_ticket').on('work_logs').columns(['ticket_id']).execute();
  },
};
