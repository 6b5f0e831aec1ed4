// Tenant lifecycle in the store: create, edit (name, display time zone, language), archive (the contract
// ended: agents revoked and decommissioned, keys revoked, history kept).
import type { Db } from '../store/open.js';
import type { TenantTable } from '../store/schema.js';

export const LOCALES = ['en', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

export interface TenantChanges {
  name?: string | undefined;
  timeZone?: string | null | undefined;
  locale?: Locale | null | undefined;
}

export async function updateTenant(db: Db, id: string, c: TenantChanges): Promise<void> {
  const set: Partial<TenantTable> = {};
  if (c.name !== undefined) set.name = c.name;
  if (c.timeZone !== undefined) set.time_zone = c.timeZone;
  if (c.locale !== undefined) set.locale = c.locale;
  if (Object.keys(set).length === 0) return;
  await db.updateTable('tenants').set(set).where('id', '=', id).execute();
}

/** Archives a tenant in the caller's transaction; returns the ids of the agent tokens it revoked. */
export async function archiveTenant(db: Db, id: string, by: string, now: Date): Promise<string[]> {
  const at = now.toISOString();
  await db.updateTable('tenants').set({ archived_at: at, archived_by: by }).where('id', '=', id).execute();
  const tokens = await db
    .selectFrom('agent_tokens')
    .select('id')
    .where('tenant_id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
  await db
    .updateTable('agent_tokens')
    .set({ revoked_at: at })
    .where('tenant_id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
  await db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('tenant_id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
  await db
    .updateTable('agents')
    .set({ decommissioned_at: at, decommissioned_by: by })
    .where('tenant_id', '=', id)
    .where('decommissioned_at', 'is', null)
    .execute();
  return tokens.map((t) => t.id);
}

/** The zone the page shows a tenant's times in: its own, else its contract calendar's, else UTC. */
export function displayTimeZone(t: TenantTable): string {
  if (t.time_zone) return t.time_zone;
  if (t.contract) {
    const calendar = (JSON.parse(t.contract) as { calendar?: { timeZone?: unknown } }).calendar;
    if (typeof calendar?.timeZone === 'string') return calendar.timeZone;
  }
  return 'UTC';
}
