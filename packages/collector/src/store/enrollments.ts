// One-time enrollment tokens: an operator creates one for a tenant; an agent exchanges it, once and before it
// expires, for its own agent token bound to its host. Only hashes are stored.

import { parseDuration } from '@vigie/shared';
import { createAgentToken, hashSecret, newSecret } from './credentials.js';
import type { Db } from './open.js';

/** An enrollment token is a credential: it lives at most this long. */
export const MAX_ENROLLMENT_TTL = '30d';
const MAX_TTL_MS = parseDuration(MAX_ENROLLMENT_TTL);

/** Why `ttl` cannot be an enrollment token's lifetime, or undefined. */
export function enrollmentTtlProblem(ttl: string | number): string | undefined {
  let ms: number;
  try {
    ms = parseDuration(ttl);
  } catch (err) {
    return (err as Error).message;
  }
  if (!(ms > 0)) return `a lifetime must be more than 0 (got ${JSON.stringify(ttl)})`;
  if (ms > MAX_TTL_MS) return `${JSON.stringify(ttl)} is more than the maximum, ${MAX_ENROLLMENT_TTL}`;
  return undefined;
}

export async function createEnrollment(
  db: Db,
  params: { id: string; tenantId: string; host?: string; ttlMs: number; now: Date },
): Promise<{ id: string; token: string; expiresAt: string }> {
  const problem = enrollmentTtlProblem(params.ttlMs / 1000);
  if (problem) throw new RangeError(`enrollment lifetime: ${problem}`);
  const token = newSecret('vge_');
  const expiresAt = new Date(params.now.getTime() + params.ttlMs).toISOString();
  await db
    .insertInto('enrollments')
    .values({
      id: params.id,
      tenant_id: params.tenantId,
      token_hash: hashSecret(token),
      host: params.host ?? null,
      created_at: params.now.toISOString(),
      expires_at: expiresAt,
      used_at: null,
      agent_token_id: null,
    })
    .execute();
  return { id: params.id, token, expiresAt };
}

export type Redeemed =
  | { ok: true; tenantId: string; host: string; tokenId: string; token: string }
  | {
      ok: false;
      code: 'unknown_enrollment' | 'enrollment_used' | 'enrollment_expired' | 'host_mismatch';
      reason: string;
    };

/** Exchanges an enrollment token for an agent token bound to `host`; the enrollment cannot be used again. */
export async function redeemEnrollment(
  db: Db,
  params: { token: string; host: string; newTokenId: string; now: Date },
): Promise<Redeemed> {
  return db.transaction().execute(async (trx) => {
    const e = await trx
      .selectFrom('enrollments')
      .selectAll()
      .where('token_hash', '=', hashSecret(params.token))
      .executeTakeFirst();
    if (!e) return { ok: false, code: 'unknown_enrollment', reason: 'unknown enrollment token' };
    if (e.used_at !== null) {
      return {
        ok: false,
        code: 'enrollment_used',
        reason: `enrollment token ${e.id} was already used at ${e.used_at}`,
      };
    }
    if (e.expires_at <= params.now.toISOString()) {
      return {
        ok: false,
        code: 'enrollment_expired',
        reason: `enrollment token ${e.id} expired at ${e.expires_at}`,
      };
    }
    if (e.host !== null && e.host !== params.host) {
      return {
        ok: false,
        code: 'host_mismatch',
        reason: `enrollment token ${e.id} is for host "${e.host}", not "${params.host}"`,
      };
    }
    // Claim it first: of two concurrent redemptions, only the one whose update matched goes on.
    const claimed = await trx
      .updateTable('enrollments')
      .set({ used_at: params.now.toISOString(), agent_token_id: params.newTokenId })
      .where('id', '=', e.id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) {
      return { ok: false, code: 'enrollment_used', reason: `enrollment token ${e.id} was already used` };
    }
    const t = await createAgentToken(trx, {
      id: params.newTokenId,
      tenantId: e.tenant_id,
      host: params.host,
      now: params.now,
    });
    return { ok: true, tenantId: e.tenant_id, host: params.host, tokenId: t.id, token: t.token };
  });
}
