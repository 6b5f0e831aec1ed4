// API key authentication for /api routes: a provider key (no tenant) sees every tenant, a client key only its own.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findApiKey } from '../store/credentials.js';
import type { Db } from '../store/open.js';
import { ApiError } from './errors.js';

/** A tenant id in a query or body (tenant ids are checked when created: see store/tenants.ts). */
export const TenantId = Type.String({ minLength: 1, maxLength: 64, description: 'a tenant id' });

export interface Scope {
  keyId: string;
  /** Who acts, for ticket timelines: `key:<name>`. */
  actor: string;
  /** null for a provider key. */
  tenantId: string | null;
  /** `client`: read-only, may comment and open requests (lifecycle/roles.ts). */
  role: 'provider' | 'client';
}

declare module 'fastify' {
  interface FastifyRequest {
    scope: Scope | undefined;
  }
}

function presentedKey(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m ? m[1] : undefined;
  }
  const k = req.headers['x-api-key'];
  return typeof k === 'string' ? k : undefined;
}

/** Registers a hook that requires a valid API key on every route of `app` (an encapsulated plugin). */
export function requireApiKey(app: FastifyInstance, db: Db): void {
  app.decorateRequest('scope', undefined);
  app.addHook('onRequest', async (req) => {
    const key = presentedKey(req);
    if (!key)
      throw new ApiError(
        401,
        'missing_api_key',
        'send an API key as "Authorization: Bearer <key>" or "X-API-Key"',
      );
    const row = await findApiKey(db, key);
    if (!row) throw new ApiError(401, 'invalid_api_key', 'unknown or revoked API key');
    req.scope = {
      keyId: row.id,
      tenantId: row.tenant_id,
      actor: `key:${row.name}`,
      role: row.role === 'client' ? 'client' : 'provider',
    };
  });
}

export function scopeOf(req: FastifyRequest): Scope {
  if (!req.scope) throw new ApiError(401, 'missing_api_key', 'this route needs an API key');
  return req.scope;
}

/** The tenant filter for a query: the key's own tenant, or for a provider key the requested one (or all). */
export function tenantFilter(scope: Scope, requested: string | undefined): string | null {
  if (scope.tenantId === null) return requested ?? null;
  if (requested !== undefined && requested !== scope.tenantId) {
    throw new ApiError(403, 'forbidden_tenant', 'this API key cannot see another tenant');
  }
  return scope.tenantId;
}
