// GET /api/agents: each agent with its last-seen time and the last status of each of its checks.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { listAgents, listCheckStates } from '../store/agents.js';
import type { Db } from '../store/open.js';
import { scopeOf, TenantId, tenantFilter } from './auth.js';
import { errorResponses } from './errors.js';

const CheckStatusSchema = Type.Object({
  checkId: Type.String(),
  type: Type.String(),
  category: Type.String(),
  status: Type.String(),
  agentStatus: Type.String(),
  message: Type.String(),
  observedAt: Type.String(),
  metrics: Type.Record(Type.String(), Type.Number()),
});

const AgentSchema = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  host: Type.String(),
  environment: Type.String(),
  application: Type.String(),
  version: Type.String(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  connected: Type.Boolean(),
  /** The agent's clock minus the collector's (ms), as last measured; null when unknown (protocol 1). */
  clockSkewMs: Type.Union([Type.Number(), Type.Null()]),
  protocol: Type.Union([Type.Integer(), Type.Null()]),
  decommissionedAt: Type.Union([Type.String(), Type.Null()]),
  checks: Type.Array(CheckStatusSchema),
});
export type AgentView = Static<typeof AgentSchema>;

const Query = Type.Object(
  {
    tenant: Type.Optional(TenantId),
    decommissioned: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: 'true: decommissioned hosts too (default: only the hosts in service)',
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * A check state's metrics as stored: only finite numbers are shown. Ingest admits nothing else now, but a row
 * written by an older collector may hold anything, and one such row must not fail the whole fleet view.
 */
function storedMetrics(text: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  return Object.fromEntries(
    Object.entries(parsed).filter((e): e is [string, number] => Number.isFinite(e[1])),
  );
}

export function agentRoutes(
  app: FastifyInstance,
  deps: { db: Db; connectedHosts: () => Promise<Set<string>> },
): void {
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/agents',
    {
      schema: {
        tags: ['agents'],
        querystring: Query,
        response: { 200: Type.Array(AgentSchema), ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const tenant = tenantFilter(scopeOf(req), req.query.tenant);
      const [agents, states] = await Promise.all([
        listAgents(deps.db, tenant),
        listCheckStates(deps.db, tenant),
      ]);
      const connected = await deps.connectedHosts();
      const shown = req.query.decommissioned === 'true' ? agents : agents.filter((a) => !a.decommissioned_at);
      return shown.map((a) => ({
        id: a.id,
        tenant: a.tenant_id,
        host: a.host,
        environment: a.environment,
        application: a.application,
        version: a.version,
        firstSeen: a.first_seen,
        lastSeen: a.last_seen,
        connected: connected.has(`${a.tenant_id}/${a.host}`),
        // PostgreSQL returns bigint columns as text.
        clockSkewMs:
          a.clock_skew_ms === null || a.clock_skew_ms === undefined ? null : Number(a.clock_skew_ms),
        protocol: a.protocol_version ?? null,
        decommissionedAt: a.decommissioned_at ?? null,
        checks: states
          .filter((s) => s.tenant_id === a.tenant_id && s.host === a.host)
          .map((s) => ({
            checkId: s.check_id,
            type: s.type,
            category: s.category,
            status: s.status,
            agentStatus: s.agent_status,
            message: s.message,
            observedAt: s.observed_at,
            metrics: storedMetrics(s.metrics),
          })),
      }));
    },
  );
}
