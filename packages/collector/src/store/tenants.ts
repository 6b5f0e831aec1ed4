// Tenants: the client companies whose data must stay apart.
import type { Db } from './open.js';
import type { TenantTable } from './schema.js';

export async function addTenant(db: Db, id: string, name: string, now: Date): Promise<TenantTable> {
  const row = { id, name, created_at: now.toISOString() };
  await db.insertInto('tenants').values(row).execute();
  return row;
}

export async function getTenant(db: Db, id: string): Promise<TenantTable | undefined> {
  return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listTenants(db: Db): Promise<TenantTable[]> {
  return db.selectFrom('tenants').selectAll().orderBy('id').execute();
}
