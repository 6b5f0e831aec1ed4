// Enrollment and revocation: an operator creates a one-time enrollment token (API key needed); an agent
// exchanges it at POST /enroll (no API key: the enrollment token is the credential) for its own token; an
// operator revokes an agent, which is disconnected at once.
import { type Static, Type } from '@sinclair/typebox';
import { parseDuration } from '@vigie/shared';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { revokeAgentToken } from '../store/credentials.js';
import {
  createEnrollment,
  enrollmentTtlProblem,
  MAX_ENROLLMENT_TTL,
  redeemEnrollment,
} from '../store/enrollments.js';
import type { Db } from '../store/open.js';
import { getTenant } from '../store/tenants.js';
import { scopeOf } from './auth.js';
import { ApiError, ErrorBodySchema, errorResponses } from './errors.js';

const HostName = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9_.-]+$' });

const CreateBody = Type.Object(
  {
    tenant: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'required with a provider key; a client key uses its own',
      }),
    ),
    host: Type.Optional(HostName),
    ttl: Type.Optional(
      Type.String({
        pattern: '^\\d+(?:\\.\\d+)?(?:ms|s|m|h|d|w)$',
        maxLength: 20,
        description: `e.g. 1h, 24h, at most ${MAX_ENROLLMENT_TTL} (default from the collector config)`,
      }),
    ),
  },
  { additionalProperties: false },
);
const Created = Type.Object({
  id: Type.String(),
  token: Type.String(),
  tenant: Type.String(),
  expiresAt: Type.String(),
});

const EnrollBody = Type.Object(
  { token: Type.String({ minLength: 8 }), host: HostName },
  { additionalProperties: false },
);
const Enrolled = Type.Object({
  tokenId: Type.String(),
  token: Type.String(),
  tenant: Type.String(),
  host: Type.String(),
});

const AgentParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export function credentialRoutes(
  app: FastifyInstance,
  deps: {
    db: Db;
    now: () => Date;
    newId: () => string;
    enrollmentTtlMs: number;
    disconnect: (tokenId: string, reason: string) => number;
  },
): void {
  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/enrollments',
    {
      schema: {
        tags: ['agents'],
        summary: 'A one-time enrollment token for `vigie-agent enroll`',
        body: CreateBody,
        response: { 201: Created, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const scope = scopeOf(req);
      const tenant = scope.tenantId ?? req.body.tenant;
      if (!tenant) throw new ApiError(400, 'tenant_required', 'a provider key must name the tenant');
      if (scope.tenantId !== null && req.body.tenant !== undefined && req.body.tenant !== scope.tenantId) {
        throw new ApiError(403, 'forbidden_tenant', 'this API key cannot enroll agents for another tenant');
      }
      if (!(await getTenant(deps.db, tenant)))
        throw new ApiError(404, 'tenant_not_found', `no tenant ${tenant}`);
      let ttlMs = deps.enrollmentTtlMs;
      if (req.body.ttl !== undefined) {
        const problem = enrollmentTtlProblem(req.body.ttl);
        if (problem) throw new ApiError(400, 'bad_request', `body/ttl: ${problem}`, 'body/ttl');
        ttlMs = parseDuration(req.body.ttl);
      }
      const e = await createEnrollment(deps.db, {
        id: deps.newId(),
        tenantId: tenant,
        host: req.body.host,
        ttlMs,
        now: deps.now(),
      });
      return reply.code(201).send({ id: e.id, token: e.token, tenant, expiresAt: e.expiresAt });
    },
  );

  app.post<{ Params: Static<typeof AgentParams> }>(
    '/api/agents/:id/revoke',
    {
      schema: {
        tags: ['agents'],
        summary: "Revokes an agent's credential and disconnects it",
        params: AgentParams,
        response: {
          200: Type.Object({ revoked: Type.Boolean(), disconnected: Type.Integer() }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (req) => {
      const scope = scopeOf(req);
      const agent = await deps.db
        .selectFrom('agents')
        .selectAll()
        .where('id', '=', req.params.id)
        .executeTakeFirst();
      if (!agent || (scope.tenantId !== null && agent.tenant_id !== scope.tenantId)) {
        throw new ApiError(404, 'agent_not_found', `no agent ${req.params.id}`);
      }
      const revoked = await revokeAgentToken(deps.db, agent.token_id, deps.now());
      const disconnected = deps.disconnect(agent.token_id, `agent token ${agent.token_id} was revoked`);
      return { revoked, disconnected };
    },
  );
}

const FAILURE_STATUS = {
  unknown_enrollment: 401,
  enrollment_used: 410,
  enrollment_expired: 410,
  host_mismatch: 403,
} as const;

export function enrollRoute(
  app: FastifyInstance,
  deps: { db: Db; now: () => Date; newId: () => string; log: Logger },
): void {
  app.post<{ Body: Static<typeof EnrollBody> }>(
    '/enroll',
    {
      schema: {
        tags: ['agents'],
        summary: 'An agent exchanges its enrollment token for its own credential (no API key)',
        body: EnrollBody,
        response: { 201: Enrolled, '4xx': ErrorBodySchema },
      },
    },
    async (req, reply) => {
      const r = await redeemEnrollment(deps.db, {
        token: req.body.token,
        host: req.body.host,
        newTokenId: deps.newId(),
        now: deps.now(),
      });
      if (!r.ok) {
        deps.log.warn({ remote: req.ip, host: req.body.host, reason: r.reason }, 'enrollment refused');
        throw new ApiError(FAILURE_STATUS[r.code], r.code, r.reason);
      }
      deps.log.info({ tenant: r.tenantId, host: r.host, tokenId: r.tokenId }, 'agent enrolled');
      return reply.code(201).send({ tokenId: r.tokenId, token: r.token, tenant: r.tenantId, host: r.host });
    },
  );
}
