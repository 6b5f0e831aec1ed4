// Authenticates an agent at the WebSocket handshake: its bearer token must be known, not revoked, and
// bound to an existing tenant. The tenant comes from the token, never from what the agent says.
import type { IncomingHttpHeaders } from 'node:http';
import { findAgentToken } from '../store/credentials.js';
import type { Db } from '../store/open.js';
import type { AgentTokenTable } from '../store/schema.js';

export type AuthOutcome =
  | { ok: true; token: AgentTokenTable }
  | { ok: false; status: 401 | 403; reason: string; code: string };

export async function authenticateAgent(db: Db, headers: IncomingHttpHeaders): Promise<AuthOutcome> {
  const header = headers.authorization;
  if (!header) return { ok: false, status: 401, code: 'missing_token', reason: 'no Authorization header' };
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m)
    return {
      ok: false,
      status: 401,
      code: 'bad_auth_scheme',
      reason: 'expected "Authorization: Bearer <token>"',
    };
  const token = await findAgentToken(db, m[1] as string);
  if (!token) return { ok: false, status: 401, code: 'unknown_token', reason: 'unknown agent token' };
  if (token.revoked_at !== null) {
    return {
      ok: false,
      status: 403,
      code: 'revoked_token',
      reason: `agent token ${token.id} was revoked at ${token.revoked_at}`,
    };
  }
  return { ok: true, token };
}
