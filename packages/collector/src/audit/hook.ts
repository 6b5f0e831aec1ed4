// Records in the audit log every request a provider key makes on a tenant's data. Which tenants a request
// touched: those its route names explicitly (`auditTenants`), the tenant it asks for (query, body, path), and
// every tenant whose data is in its JSON answer. A client key acting on its own tenant is not audited.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Db } from '../store/open.js';
import { recordAudit } from './log.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Tenants whose data the request touched, as the route knows them (added to what the hook infers). */
    auditTenants: Set<string> | undefined;
  }
}

const TENANT_KEYS = new Set(['tenant', 'tenantId', 'tenant_id']);

/** Tenant ids found in an answer: values of `tenant`-named keys, in objects and arrays a few levels deep. */
export function tenantsIn(value: unknown, into: Set<string>, depth = 0): void {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) tenantsIn(v, into, depth + 1);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (TENANT_KEYS.has(k) && typeof v === 'string') into.add(v);
    else if (typeof v === 'object') tenantsIn(v, into, depth + 1);
  }
}

/** Marks the request as touching `tenant` (for routes whose answer is not JSON: HTML, PDF, archives). */
export function auditTenant(req: FastifyRequest, tenant: string): void {
  if (!req.auditTenants) req.auditTenants = new Set();
  req.auditTenants.add(tenant);
}

function requested(req: FastifyRequest, into: Set<string>): void {
  const q = req.query as Record<string, unknown> | undefined;
  const b = req.body as Record<string, unknown> | undefined;
  const p = req.params as Record<string, unknown> | undefined;
  for (const v of [q?.tenant, b?.tenant, p?.tenant]) if (typeof v === 'string' && v !== '') into.add(v);
  if (req.routeOptions.url?.startsWith('/api/tenants/:id') && typeof p?.id === 'string') into.add(p.id);
}

/**
 * Entries are written one after the other, after each answer: in order (so identical reads fold into one), and
 * without holding the answer back. `idle()` waits for those under way (the audit route reads after them).
 */
export class AuditQueue {
  private tail: Promise<void> = Promise.resolve();

  push(write: () => Promise<void>): void {
    this.tail = this.tail.then(write);
  }

  idle(): Promise<void> {
    return this.tail;
  }
}

export function auditRequests(
  app: FastifyInstance,
  deps: { db: Db; now: () => Date; newId: () => string; log: Logger; queue: AuditQueue },
): void {
  app.decorateRequest('auditTenants', undefined);
  app.addHook('preSerialization', async (req, _reply, payload) => {
    if (req.scope?.tenantId === null) {
      const found = req.auditTenants ?? new Set<string>();
      tenantsIn(payload, found);
      req.auditTenants = found;
    }
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const scope = req.scope;
    if (!scope || scope.tenantId !== null) return;
    const tenants = new Set(req.auditTenants ?? []);
    requested(req, tenants);
    if (tenants.size === 0) return;
    const at = deps.now();
    const read = req.method === 'GET' || req.method === 'HEAD';
    const base = {
      actor: scope.actor,
      keyId: scope.keyId,
      action: `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`,
      target: req.url,
      status: reply.statusCode,
      source: req.ip,
      userAgent: String(req.headers['user-agent'] ?? ''),
      at,
      read,
    };
    for (const tenantId of tenants) {
      deps.queue.push(() =>
        recordAudit(deps.db, { ...base, tenantId }, deps.newId).catch((err: Error) =>
          // The answer is gone already; a lost audit entry is logged loudly, never silently dropped.
          deps.log.error(
            { err: err.message, tenant: tenantId, action: base.action },
            'audit entry not recorded',
          ),
        ),
      );
    }
  });
}
