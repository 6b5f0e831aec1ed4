// The read-only client role: a client key sees its own tenant's tickets, hosts, reports and parity, may
// comment on a ticket, open a request and set its own language, and nothing else. One hook over every API
// route, so a route added later is closed to clients unless listed here.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api/errors.js';

/** Method and route pattern of what a client key may change. */
const CLIENT_MAY = new Set(['POST /api/tickets/:id/comments', 'POST /api/requests', 'PUT /api/me']);

export function isClientAllowed(method: string, routeUrl: string | undefined): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  return CLIENT_MAY.has(`${method} ${routeUrl ?? ''}`);
}

/** Registers the check on `app`, after the API key hook (hooks run in the order they are added). */
export function enforceRoles(app: FastifyInstance): void {
  app.addHook('preHandler', async (req) => {
    if (req.scope?.role !== 'client') return;
    if (isClientAllowed(req.method, req.routeOptions.url)) return;
    throw new ApiError(
      403,
      'read_only_role',
      'a client key is read-only: it may comment on tickets and open requests, not change them',
    );
  });
}
