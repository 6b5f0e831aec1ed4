// Tenants: the client companies whose data must stay apart.
import type { Db } from './open.js';
import type { TenantTable } from './schema.js';

/**
 * A tenant id is a tag of every metric point and part of every ticket key: a letter or digit, then letters,
 * digits, `_`, `.` or `-`, at most 64.
 */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class TenantError extends Error {}

export async function addTenant(db: Db, id: string, name: string, now: Date): Promise<TenantTable> {
  if (!TENANT_ID_PATTERN.test(id))
    throw new TenantError(
      `invalid tenant id ${JSON.stringify(id)}: a letter or digit, then letters, digits, _ . or -, at most 64`,
    );
  if (await getTenant(db, id)) throw new TenantError(`tenant ${id} already exists`);
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
