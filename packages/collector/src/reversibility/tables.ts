// Which rows of the state store belong to a tenant, found from the schema itself: every table with a
// `tenant_id` column, plus the tenant row and the ticket timelines (keyed by ticket). Tables added later by
// other features are covered without a change here, unless they hold credentials (listed below, never exported).
import { type Kysely, sql } from 'kysely';
import type { Db } from '../store/open.js';

/** Rows as plain objects, for tables known only at run time. */
export type Row = Record<string, unknown>;
export type AnyDb = Kysely<Record<string, Row>>;

export function anyDb(db: Db): AnyDb {
  return db as unknown as AnyDb;
}

/** Credentials and the state of the collector's own machinery: erased with the tenant, never exported. */
export const NOT_EXPORTED: Record<string, string> = {
  api_keys: 'API keys are credentials (only their hashes are stored, and those stay)',
  agent_tokens: 'agent tokens are credentials (only their hashes are stored, and those stay)',
  enrollments: 'enrollment tokens are credentials',
  seen_results: "result ids remembered for deduplication: the collector's machinery",
  notification_deliveries: "the collector's outbound queue to its connectors",
};

/** Parents before children (foreign keys); tables not listed come after, in name order. */
const ORDER = [
  'tenants',
  'agents',
  'check_states',
  'agent_events',
  'tickets',
  'ticket_events',
  'drift_snapshots',
  'drift_baselines',
  'drift_items_seen',
  'drift_parity_ignores',
  'drift_parity_state',
  'contracts',
  'contract_ledger',
  'contract_tickets',
  'work_logs',
  'client_reports',
  'audit_log',
];

export interface TenantTable {
  name: string;
  columns: string[];
  /** How its rows are found: by `tenant_id`, by `id` (the tenant row), or by ticket (timelines). */
  key: 'tenant_id' | 'id' | 'ticket_id';
}

/** Every table holding the tenant's rows, in an order safe for inserting them (parents first). */
export async function tenantTables(db: Db): Promise<TenantTable[]> {
  const tables = await db.introspection.getTables();
  const found: TenantTable[] = [];
  for (const t of tables) {
    const columns = t.columns.map((c) => c.name);
    if (t.name === 'tenants') found.push({ name: t.name, columns, key: 'id' });
    else if (t.name === 'ticket_events') found.push({ name: t.name, columns, key: 'ticket_id' });
    else if (columns.includes('tenant_id')) found.push({ name: t.name, columns, key: 'tenant_id' });
  }
  const rank = (n: string) => {
    const i = ORDER.indexOf(n);
    return i === -1 ? ORDER.length : i;
  };
  return found.sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : 1));
}

/** The rows of a table that belong to the tenant, a page at a time, in a stable order. */
export async function* tenantRows(
  db: Db,
  table: TenantTable,
  tenant: string,
  pageSize = 2000,
): AsyncGenerator<Row[]> {
  const adb = anyDb(db);
  for (let offset = 0; ; offset += pageSize) {
    let q = adb.selectFrom(table.name).selectAll();
    if (table.key === 'ticket_id')
      q = q.where('ticket_id', 'in', adb.selectFrom('tickets').select('id').where('tenant_id', '=', tenant));
    else q = q.where(table.key, '=', tenant);
    for (const c of table.columns) q = q.orderBy(sql.ref(c));
    const rows = await q.limit(pageSize).offset(offset).execute();
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
  }
}
