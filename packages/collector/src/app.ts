// Builds the collector: store, metrics sink, ingest pipeline and gateway, and the fastify app with its routes.

import swagger from '@fastify/swagger';
import { createIdGenerator } from '@vigie/shared';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { agentRoutes } from './api/agents.js';
import { requireApiKey } from './api/auth.js';
import { credentialRoutes, enrollRoute } from './api/credentials.js';
import { ApiError } from './api/errors.js';
import { seriesRoutes } from './api/series.js';
import { tenantRoutes } from './api/tenants.js';
import { ticketRoutes } from './api/tickets.js';
import { AuditQueue, auditRequests } from './audit/hook.js';
import { auditRoutes } from './audit/routes.js';
import type { CollectorConfig } from './config/load.js';
import { NotificationDispatcher } from './connectors/outbox.js';
import { createConnectors } from './connectors/registry.js';
import { type AccountingOutcome, accountingPass } from './contracts/accounting.js';
import { outboxNoticeSender } from './contracts/notices.js';
import { contractRoutes } from './contracts/routes.js';
import { registerDriftRoutes } from './drift/routes.js';
import { DriftSync, parityPoints } from './drift/service.js';
import { DedupeStage } from './ingest/dedupe.js';
import { EvaluateStage } from './ingest/evaluate.js';
import { IngestGateway } from './ingest/gateway.js';
import { PersistMetricsStage } from './ingest/persist-metrics.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { RecordStage } from './ingest/record.js';
import { NO_RISKS, type RiskProvider } from './reports/compute.js';
import { reportRoutes } from './reports/routes.js';
import { ReportService } from './reports/service.js';
import { collectorMigrations } from './schema-migrations.js';
import { createSink } from './sinks/create.js';
import { openHistory } from './sinks/history.js';
import { SpoolingSink } from './sinks/spool/sink.js';
import type { MetricsSink } from './sinks/types.js';
import { openStore, type Store } from './store/open.js';
import { pruneSeenResults } from './store/results.js';
import type { TicketTable } from './store/schema.js';
import { type CollectorTelemetry, collectorTelemetry } from './telemetry/metrics.js';
import { ContractBook } from './tickets/contracts.js';
import { outboxNotifier } from './tickets/notifier.js';
import { type SweepEvent, sweep } from './tickets/sweeper.js';
import { TicketTelemetry } from './tickets/telemetry.js';
import { LiveFeed } from './web/live.js';
import { registerWebRoutes } from './web/routes.js';

export interface CollectorDeps {
  log: Logger;
  now?: () => Date;
  /** Feeds the "risks ahead" section of client reports (forecasts); none by default. */
  risksAhead?: RiskProvider;
}

export interface Collector {
  app: FastifyInstance;
  store: Store;
  sink: MetricsSink;
  gateway: IngestGateway;
  telemetry: CollectorTelemetry;
  /** One pass of SLA flags, escalation and silent-agent detection (it also runs on a timer). */
  sweep(): Promise<SweepEvent[]>;
  /** One accounting pass of the contracts (it also runs after each sweep). */
  account(): Promise<AccountingOutcome>;
  /** Client reports: the monthly pass (also run after each sweep), on-demand reports, PDFs. */
  reports: ReportService;
  /** What waits in the metrics spool (zero for the embedded sink). */
  sinkBacklog(): { bytes: number; batches: number };
  /** Listens on the configured address; returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The fastify app, over HTTPS (optionally asking agents for client certificates) when TLS is configured. */
function createHttpServer(config: CollectorConfig, log: Logger): FastifyInstance {
  // Request lines at info would drown the ingest logs; errors still come through.
  const loggerInstance = log.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger;
  // forceCloseConnections: an idle keep-alive or half-opened client connection must not hold up shutdown.
  if (!config.tls) return Fastify({ loggerInstance, bodyLimit: 1024 * 1024, forceCloseConnections: true });
  const https = {
    cert: config.tls.cert,
    key: config.tls.key,
    ca: config.tls.clientCa,
    // The handshake asks for a certificate; the ingest upgrade refuses agents without a valid one, while the
    // REST API (API keys) stays reachable from a browser without one.
    requestCert: config.tls.requireClientCertificate,
    rejectUnauthorized: false,
  };
  return Fastify({
    loggerInstance,
    bodyLimit: 1024 * 1024,
    https,
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
}

const ACTION_EVENT: Record<string, string> = {
  acknowledge: 'acknowledged',
  start: 'started',
  assign: 'assigned',
  wait: 'waiting_for_client',
  resume: 'resumed',
  resolve: 'resolved',
  close: 'closed',
  escalate: 'escalated',
};
const SWEEP_EVENT: Record<SweepEvent['kind'], string> = {
  sla_at_risk: 'at_risk',
  sla_breached: 'breached',
  escalated: 'escalated',
  agent_unreachable: 'opened',
  agent_back: 'resolved',
};

export async function buildCollector(config: CollectorConfig, deps: CollectorDeps): Promise<Collector> {
  const now = deps.now ?? (() => new Date());
  const newId = createIdGenerator(() => now().getTime());
  const log = deps.log;
  const store = await openStore(config.store, collectorMigrations);
  const telemetry = collectorTelemetry();
  const sinkLog = log.child({ component: 'metrics-sink' });
  const sink = createSink(config.metrics, config.spool, {
    now: () => now().getTime(),
    onSpoolEvent: (e) => {
      if (e.kind === 'spooled') {
        telemetry.spooledPoints({}, e.points);
        if (e.reason !== 'earlier points are still spooled')
          sinkLog.warn({ reason: e.reason }, 'metrics sink failing; spooling');
      } else if (e.kind === 'drained') telemetry.drainedPoints({}, e.points);
      else if (e.kind === 'retry')
        sinkLog.warn({ reason: e.reason, retryInMs: e.inMs }, 'metrics sink still failing');
      else
        sinkLog.error({ bytes: e.bytes }, 'metrics spool full: batches are refused until the sink recovers');
    },
  });
  const db = store.db;

  const ticketTelemetry = new TicketTelemetry(sink, log.child({ component: 'ticket-telemetry' }));
  /** Every ticket event, wherever it comes from: figures for the dashboards (and the live page). */
  const feed = new LiveFeed();
  const ticketEvent = (t: TicketTable, kind: string) => {
    void ticketTelemetry.event(t, kind, now());
    feed.publish({ type: 'ticket', tenant: t.tenant_id, ticketId: t.id, action: kind });
  };
  const contracts = new ContractBook(config.sla);
  const dueTimes = contracts.dueTimes();
  const connectors = createConnectors(config.connectors, now);
  const notifier = outboxNotifier(
    connectors.map((c) => ({ name: c.name, tenant: c.tenant })),
    { newId, now },
  );
  const notices = outboxNoticeSender(connectors, { newId, now });
  // One accounting pass at a time: the sweep timer and API calls share it.
  let accounting: Promise<AccountingOutcome> | undefined;
  const account = (): Promise<AccountingOutcome> => {
    const run = (accounting ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => accountingPass({ db, now, newId, notices }));
    accounting = run;
    return run;
  };
  const history = openHistory(config.metrics);
  const reports = new ReportService({
    db,
    now,
    newId,
    history,
    contracts,
    risks: deps.risksAhead ?? NO_RISKS,
    notices,
    chromium: config.reports.chromium,
    log: log.child({ component: 'reports' }),
  });
  const pipeline = new IngestPipeline([
    new DedupeStage(db),
    new EvaluateStage(() => config.rules),
    new PersistMetricsStage(sink),
    new RecordStage(db, {
      newId,
      now,
      policy: config.tickets.policy,
      reopenWindowMs: config.tickets.reopenWindowMs,
      staleAfterMs: config.tickets.silentAgentAfterMs,
      dueTimes,
      notifier,
    }),
  ]);
  const drift = new DriftSync({
    db,
    newId,
    now,
    reopenWindowMs: config.tickets.reopenWindowMs,
    dueTimes,
    notifier,
  });
  const gateway = new IngestGateway(
    {
      path: '/ingest',
      maxFrameBytes: config.ingest.maxFrameBytes,
      maxBatch: config.ingest.maxBatch,
      heartbeatMs: config.ingest.heartbeatMs,
      rateLimit: config.ingest.rateLimit,
      revocationCheckMs: config.ingest.revocationCheckMs,
      requireClientCertificate: config.tls?.requireClientCertificate ?? false,
    },
    {
      db,
      pipeline,
      log: log.child({ component: 'ingest' }),
      telemetry,
      now,
      newId,
      onSnapshotStored: (s) => {
        drift
          .snapshotStored({ tenantId: s.tenantId, host: s.host, application: s.application })
          .then(async (o) => {
            if (o.report) await sink.write(parityPoints(o.report));
            for (const t of o.tickets) {
              if (t.effect && 'ticket' in t.effect) {
                ticketEvent(t.effect.ticket, t.effect.kind === 'resolved' ? 'resolved' : 'opened');
              }
            }
          })
          .catch((err: Error) => log.error({ err: err.message, host: s.host }, 'drift sync failed'));
      },
      onAgent: (tenant, host) => feed.publish({ type: 'agent', tenant, host }),
      onEffects: (effects, host, tenant) => {
        feed.publish({ type: 'results', tenant, host });
        for (const e of effects) {
          const kind =
            e.kind === 'reopened'
              ? 'opened'
              : e.kind === 'occurrence'
                ? e.raised
                  ? 'severity_raised'
                  : ''
                : e.kind;
          if (kind) ticketEvent(e.ticket, kind);
        }
      },
    },
  );

  const app = createHttpServer(config, log);
  const auditQueue = new AuditQueue();
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ApiError)
      return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    const e = err as Error & { validation?: unknown; statusCode?: number; code?: string };
    if (e.validation) return reply.code(400).send({ error: 'bad_request', message: e.message });
    if (e.statusCode && e.statusCode < 500)
      return reply.code(e.statusCode).send({ error: e.code ?? 'bad_request', message: e.message });
    // The live feed takes its API key in the query string: never log it.
    req.log.error(
      { err: e.message, url: req.url.replace(/([?&]key=)[^&]*/g, '$1[redacted]') },
      'request failed',
    );
    return reply
      .code(500)
      .send({ error: 'internal_error', message: 'the collector could not answer; see its log' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` }),
  );

  // The OpenAPI document is generated from the schema every route declares.
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Vigie collector API',
        version: '1',
        description: 'Ticket queue, agents, enrollment, metrics.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', async (_req, reply) => {
    try {
      await db.selectFrom('tenants').select('id').limit(1).execute();
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', store: (err as Error).message });
    }
    return {
      status: 'ok',
      store: store.dialect,
      metrics: sink.name,
      agentsConnected: gateway.connectedCount(),
    };
  });
  app.get('/metrics', async (_req, reply) => {
    telemetry.memory(process.memoryUsage().rss);
    return reply.type('text/plain; version=0.0.4').send(telemetry.registry.render());
  });
  registerWebRoutes(app, { feed, db });
  enrollRoute(app, { db, now, newId, log: log.child({ component: 'enroll' }) });
  await app.register(async (api) => {
    requireApiKey(api, db);
    auditRequests(api, { db, now, newId, log: log.child({ component: 'audit' }), queue: auditQueue });
    agentRoutes(api, { db, connectedHosts: () => gateway.connectedHosts() });
    credentialRoutes(api, {
      db,
      now,
      newId,
      enrollmentTtlMs: config.enrollmentTtlMs,
      disconnect: (tokenId, reason) => gateway.disconnectToken(tokenId, reason),
    });
    ticketRoutes(api, {
      db,
      newId,
      now,
      contracts,
      notifier,
      onAction: (t, action) => ticketEvent(t, ACTION_EVENT[action] ?? action),
    });
    tenantRoutes(api, { db });
    registerDriftRoutes(api, { db, now });
    seriesRoutes(api, { sink, now });
    await contractRoutes(api, {
      db,
      newId,
      now,
      dueTimes,
      notifier,
      notices,
      account,
      onOpened: (t) => ticketEvent(t, 'opened'),
    });
    await auditRoutes(api, { db, queue: auditQueue });
    await reportRoutes(api, { db, reports });
  });

  app.server.on('upgrade', (req, socket, head) => {
    if (!gateway.handleUpgrade(req, socket, head)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    }
  });

  const sweepLog = log.child({ component: 'tickets' });
  const runSweep = () =>
    sweep({
      db,
      now,
      newId,
      silentAgentAfterMs: config.tickets.silentAgentAfterMs,
      contracts,
      notifier,
    }).then(async (events) => {
      for (const e of events) {
        sweepLog.info({ ticket: e.ticket.id, host: e.ticket.host, event: e.kind }, 'ticket event');
        ticketEvent(e.ticket, SWEEP_EVENT[e.kind]);
      }
      await ticketTelemetry.snapshot(db, now(), config.tickets.silentAgentAfterMs);
      // Contract accounting follows the ticket rows, one sweep behind them at most.
      await account().catch((err: Error) =>
        sweepLog.error({ err: err.message }, 'contract accounting failed'),
      );
      // Printing PDFs takes seconds: the monthly reports run beside the sweep, one pass at a time.
      if (config.reports.monthly)
        reports
          .monthlyPass()
          .catch((err: Error) => sweepLog.error({ err: err.message }, 'monthly reports failed'));
      return events;
    });
  const sweeper = setInterval(() => {
    runSweep().catch((err: Error) => sweepLog.error({ err: err.message }, 'ticket sweep failed'));
  }, config.tickets.sweepIntervalMs);
  sweeper.unref();
  const dispatcher = new NotificationDispatcher({
    db,
    connectors,
    now,
    backoff: { minMs: 1000, maxMs: 300_000 },
    log: log.child({ component: 'notify' }),
  });
  if (connectors.length > 0) dispatcher.start(1000);
  const maintenance = setInterval(() => {
    pruneSeenResults(db, new Date(now().getTime() - config.ingest.dedupeWindowMs)).catch((err: Error) =>
      log.error({ err: err.message }, 'pruning handled result ids failed'),
    );
  }, 3_600_000);
  maintenance.unref();

  return {
    app,
    store,
    sink,
    gateway,
    telemetry,
    sinkBacklog: () => (sink instanceof SpoolingSink ? sink.backlog() : { bytes: 0, batches: 0 }),
    async listen() {
      gateway.start();
      await app.listen({ host: config.listen.host, port: config.listen.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
      const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
      return `${config.tls ? 'https' : 'http'}://${host}:${port}`;
    },
    sweep: runSweep,
    account,
    reports,
    async close() {
      clearInterval(maintenance);
      clearInterval(sweeper);
      await dispatcher.stop();
      await gateway.close();
      await app.close();
      await reports.idle();
      await auditQueue.idle();
      await sink.close();
      await history?.close();
      await store.close();
    },
  };
}
