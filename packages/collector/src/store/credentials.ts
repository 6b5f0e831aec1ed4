// Agent tokens and API keys: only their SHA-256 hashes are stored; the secret is shown once, at creation.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './open.js';
import type { AgentTokenTable, ApiKeyTable } from './schema.js';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A high-entropy secret with a readable prefix (`vga_` agent token, `vgk_` API key). */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export async function createAgentToken(
  db: Db,
  params: { id: string; tenantId: string; host?: string; now: Date },
): Promise<{ id: string; token: string }> {
  const token = newSecret('vga_');
  await db
    .insertInto('agent_tokens')
    .values({
      id: params.id,
      tenant_id: params.tenantId,
      token_hash: hashSecret(token),
      host: params.host ?? null,
      created_at: params.now.toISOString(),
      revoked_at: null,
    })
    .execute();
  return { id: params.id, token };
}

export async function findAgentToken(db: Db, token: string): Promise<AgentTokenTable | undefined> {
  return db
    .selectFrom('agent_tokens')
    .selectAll()
    .where('token_hash', '=', hashSecret(token))
    .executeTakeFirst();
}

/** Binds a token that has no host yet to the host of its first hello; false when another host got there first. */
export async function bindTokenHost(db: Db, id: string, host: string): Promise<boolean> {
  const r = await db
    .updateTable('agent_tokens')
    .set({ host })
    .where('id', '=', id)
    .where('host', 'is', null)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 1) return true;
  const row = await db.selectFrom('agent_tokens').select('host').where('id', '=', id).executeTakeFirst();
  return row?.host === host;
}

/** Ids among `ids` of tokens revoked since. */
export async function revokedTokenIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('agent_tokens')
    .select('id')
    .where('id', 'in', ids)
    .where('revoked_at', 'is not', null)
    .execute();
  return new Set(rows.map((r) => r.id));
}

export async function revokeAgentToken(db: Db, id: string, now: Date): Promise<boolean> {
  const r = await db
    .updateTable('agent_tokens')
    .set({ revoked_at: now.toISOString() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function createApiKey(
  db: Db,
  params: { id: string; tenantId: string | null; name: string; now: Date; role?: 'provider' | 'client' },
): Promise<{ id: string; key: string }> {
  if (params.role === 'client' && params.tenantId === null)
    throw new Error('a client key belongs to one tenant: give its tenant');
  const key = newSecret('vgk_');
  await db
    .insertInto('api_keys')
    .values({
      id: params.id,
      key_hash: hashSecret(key),
      tenant_id: params.tenantId,
      name: params.name,
      created_at: params.now.toISOString(),
      revoked_at: null,
      role: params.role ?? 'provider',
    })
    .execute();
  return { id: params.id, key };
}

export async function findApiKey(db: Db, key: string): Promise<ApiKeyTable | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('key_hash', '=', hashSecret(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}
