// `vigie-collector tenant purge`: erases every row and every metric point of a tenant, and leaves no bytes of
// them in the store files: SQLite files are rewritten (secure_delete, VACUUM, truncated write-ahead log),
// PostgreSQL tables are rewritten by VACUUM FULL. Other tenants are not touched.
import { sql } from 'kysely';
import type { NotificationDeliveryTable } from '../connectors/deliveries.js';
import { type MetricsHistory, purgeSpool } from '../sinks/history.js';
import type { Store } from '../store/open.js';
import { anyDb, tenantTables } from './tables.js';

export interface PurgeSummary {
  /** Rows removed per table. */
  rows: Record<string, number>;
  /** Points removed from the metrics store and from its spool; null when the store cannot erase them. */
  points: number | null;
  spooled: number;
  warnings: string[];
}

export async function purgeTenant(o: {
  store: Store;
  tenant: string;
  history: MetricsHistory | undefined;
  metricsName: string;
  spoolPath?: string | undefined;
}): Promise<PurgeSummary> {
  const rows: Record<string, number> = {};
  // Freed pages are zeroed as they are freed, on this connection.
  if (o.store.dialect === 'sqlite') await sql`PRAGMA secure_delete = ON`.execute(o.store.db);
  const warnings: string[] = [];
  const tables = await tenantTables(o.store.db);
  await o.store.db.transaction().execute(async (trx) => {
    const adb = anyDb(trx);
    const count = (n: bigint | number | undefined) => Number(n ?? 0);
    // Children first: the reverse of the insert order.
    for (const t of [...tables].reverse()) {
      let q = adb.deleteFrom(t.name);
      if (t.key === 'ticket_id')
        q = q.where(
          'ticket_id',
          'in',
          adb.selectFrom('tickets').select('id').where('tenant_id', '=', o.tenant),
        );
      else q = q.where(t.key, '=', o.tenant);
      rows[t.name] = count((await q.executeTakeFirst()).numDeletedRows);
    }
    // The outbound queue names the tenant inside its payloads, not in a column.
    const deliveries = (await adb
      .selectFrom('notification_deliveries')
      .select(['id', 'payload'])
      .execute()) as unknown as Array<Pick<NotificationDeliveryTable, 'id' | 'payload'>>;
    const theirs = deliveries
      .filter((d) => {
        const p = JSON.parse(d.payload) as { tenant?: string; ticket?: { tenant?: string } };
        return (p.ticket?.tenant ?? p.tenant) === o.tenant;
      })
      .map((d) => d.id);
    let removed = 0;
    for (let i = 0; i < theirs.length; i += 500) {
      const r = await adb
        .deleteFrom('notification_deliveries')
        .where('id', 'in', theirs.slice(i, i + 500))
        .executeTakeFirst();
      removed += Number(r.numDeletedRows ?? 0);
    }
    rows.notification_deliveries = (rows.notification_deliveries ?? 0) + removed;
  });
  if (o.store.dialect === 'postgres') {
    for (const t of [...tables.map((x) => x.name), 'notification_deliveries'])
      await sql`VACUUM FULL ${sql.table(t)}`.execute(o.store.db);
  } else {
    // VACUUM rebuilds the file from the live rows only; the checkpoints empty the write-ahead log.
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(o.store.db);
    await sql`VACUUM`.execute(o.store.db);
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(o.store.db);
  }
  let points: number | null = null;
  if (o.history) points = await o.history.purgeTenant(o.tenant);
  else
    warnings.push(
      `the ${o.metricsName} metrics store cannot be erased from here: delete the points tagged tenant=${o.tenant} with its own tools`,
    );
  const spooled = o.spoolPath ? purgeSpool(o.spoolPath, o.tenant) : 0;
  return { rows, points, spooled, warnings };
}
