// The audit log of a tenant's data: who (an API key's name and id, or a command-line user), what (the action),
// when, from where. Identical reads in a row (same who, what, target, answer and origin within a minute) are
// one entry with a count; a write is always an entry of its own.
import type { Db } from '../store/open.js';
import { type AuditEntryTable, auditDb } from './migration.js';

export interface AuditRecord {
  tenantId: string;
  actor: string;
  keyId: string | null;
  action: string;
  target: string;
  status: number;
  source: string;
  userAgent: string;
  at: Date;
  /** Reads may be folded into the previous identical entry. */
  read: boolean;
}

export const COALESCE_MS = 60_000;

export async function recordAudit(db: Db, rec: AuditRecord, newId: () => string): Promise<void> {
  const adb = auditDb(db);
  const at = rec.at.toISOString();
  const target = rec.target.slice(0, 2000);
  const userAgent = rec.userAgent.slice(0, 300);
  if (rec.read) {
    const since = new Date(rec.at.getTime() - COALESCE_MS).toISOString();
    let q = adb
      .selectFrom('audit_log')
      .select(['id', 'count'])
      .where('tenant_id', '=', rec.tenantId)
      .where('actor', '=', rec.actor)
      .where('action', '=', rec.action)
      .where('target', '=', target)
      .where('status', '=', rec.status)
      .where('source', '=', rec.source)
      .where('last_at', '>=', since)
      .orderBy('last_at', 'desc')
      .limit(1);
    q = rec.keyId === null ? q.where('key_id', 'is', null) : q.where('key_id', '=', rec.keyId);
    const prev = await q.executeTakeFirst();
    if (prev) {
      await adb
        .updateTable('audit_log')
        .set({ count: prev.count + 1, last_at: at })
        .where('id', '=', prev.id)
        .execute();
      return;
    }
  }
  const row: AuditEntryTable = {
    id: newId(),
    tenant_id: rec.tenantId,
    at,
    last_at: at,
    count: 1,
    actor: rec.actor,
    key_id: rec.keyId,
    action: rec.action,
    target,
    status: rec.status,
    source: rec.source,
    user_agent: userAgent,
  };
  await adb.insertInto('audit_log').values(row).execute();
}

export async function listAudit(
  db: Db,
  f: { tenantId: string | null; since?: string; limit: number },
): Promise<AuditEntryTable[]> {
  let q = auditDb(db)
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('last_at', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit);
  if (f.tenantId !== null) q = q.where('tenant_id', '=', f.tenantId);
  if (f.since) q = q.where('last_at', '>=', f.since);
  return q.execute();
}
