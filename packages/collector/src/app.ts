// Builds the collector: store, metrics sink, ingest pipeline and gateway, and the fastify app with its routes.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import swagger from '@fastify/swagger';
import { createIdGenerator } from '@vigie/shared';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { agentRoutes } from './api/agents.js';
import { requireApiKey } from './api/auth.js';
import { credentialRoutes, enrollRoute } from './api/credentials.js';
import { deadLetterRoutes } from './api/dead-letters.js';
import { seriesRoutes } from './api/series.js';
import { tenantRoutes } from './api/tenants.js';
import { thresholdRoutes } from './api/thresholds.js';
import { ticketRoutes } from './api/tickets.js';
import { hardenApi, sendError } from './api/validation.js';
import { AuditQueue, auditRequests } from './audit/hook.js';
import { auditRoutes } from './audit/routes.js';
import { LocalCluster } from './cluster/local.js';
import { PostgresCluster } from './cluster/postgres.js';
import type { Cluster } from './cluster/types.js';
import type { CollectorConfig } from './config/load.js';
import { NotificationDispatcher } from './connectors/outbox.js';
import { createConnectors } from './connectors/registry.js';
import { type AccountingOutcome, accountingPass } from './contracts/accounting.js';
import { outboxNoticeSender } from './contracts/notices.js';
import { contractRoutes } from './contracts/routes.js';
import { parityDecisionRoutes } from './drift/decision-routes.js';
import { registerDriftRoutes } from './drift/routes.js';
import { DriftSync, parityPoints, type SnapshotOutcome } from './drift/service.js';
import { ForecastEvaluator, type ForecastRun } from './forecast/evaluator.js';
import { forecastRiskProvider } from './forecast/report.js';
import { forecastRoutes } from './forecast/routes.js';
import { type ForecastTicketEffect, supersedeByThreshold } from './forecast/tickets.js';
import { createIngest } from './ingest/create.js';
import { IngestGateway } from './ingest/gateway.js';
import { pruneStreams } from './ingest/migration.js';
import { enforceRoles } from './lifecycle/roles.js';
import { lifecycleRoutes } from './lifecycle/routes.js';
import { MaintenanceBook } from './maintenance/book.js';
import { maintenanceAwareNotifier } from './maintenance/notifier.js';
import { maintenanceRoutes } from './maintenance/routes.js';
import type { RiskProvider } from './reports/compute.js';
import { reportRoutes } from './reports/routes.js';
import { ReportService } from './reports/service.js';
import { collectorMigrations } from './schema-migrations.js';
import { createSink } from './sinks/create.js';
import { openHistory } from './sinks/history.js';
import { QUEUED_BEHIND, SpoolingSink } from './sinks/spool/sink.js';
import type { MetricsSink } from './sinks/types.js';
import { type Db, openStore, probeStore, type Store } from './store/open.js';
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
  /** One forecast pass over every reporting host (it also runs on a timer, `forecasts.interval`). */
  forecast(): Promise<ForecastRun>;
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
  // frameworkErrors: a bad URL or an over-long path parameter is answered in the API's error shape too.
  if (!config.tls)
    return Fastify({
      loggerInstance,
      bodyLimit: 1024 * 1024,
      forceCloseConnections: true,
      frameworkErrors: sendError,
    });
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
    frameworkErrors: sendError,
  }) as unknown as FastifyInstance;
}

/** How often the event loop's delay is sampled (`vigie_event_loop_delay_*`). */
const LOOP_DELAY_RESOLUTION_MS = 10;

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
const FORECAST_EVENT: Record<ForecastTicketEffect['kind'], string> = {
  opened: 'opened',
  reopened: 'opened',
  moved: '',
  resolved: 'resolved',
  superseded: 'closed',
};

/**
 * A cluster-wide lock (PostgreSQL advisory lock, held by one connection) around `fn`, which runs its queries
 * on that connection.
 */
function advisoryLock(db: Db) {
  return <T>(key: string, fn: (conn: Db) => Promise<T>): Promise<T> =>
    db.connection().execute(async (conn) => {
      await sql`SELECT pg_advisory_lock(hashtextextended(${key}, 0))`.execute(conn);
      try {
        return await fn(conn);
      } finally {
        await sql`SELECT pg_advisory_unlock(hashtextextended(${key}, 0))`.execute(conn);
      }
    });
}

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
        if (e.reason !== QUEUED_BEHIND) {
          telemetry.sinkFailures();
          sinkLog.warn({ reason: e.reason }, 'metrics sink failing; spooling');
        }
      } else if (e.kind === 'drained') telemetry.drainedPoints({}, e.points);
      else if (e.kind === 'retry') {
        telemetry.sinkFailures();
        sinkLog.warn({ reason: e.reason, retryInMs: e.inMs }, 'metrics sink still failing');
      } else if (e.kind === 'dead-lettered') {
        telemetry.sinkFailures();
        telemetry.deadLetters({}, e.points);
        sinkLog.error(
          { points: e.points, reason: e.reason },
          'metrics store refused points; kept as dead letters (GET /api/sink/dead-letters)',
        );
      } else
        sinkLog.error({ bytes: e.bytes }, 'metrics spool full: batches are refused until the sink recovers');
    },
  });
  const db = store.db;

  const ticketTelemetry = new TicketTelemetry(sink, log.child({ component: 'ticket-telemetry' }));
  /** Every ticket event, wherever it comes from: figures for the dashboards (and the live page). */
  const feed = new LiveFeed();
  const instance =
    config.cluster.instance ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  let connectedHere: () => Set<string> = () => new Set();
  const clusterLog = log.child({ component: 'cluster' });
  const cluster: Cluster =
    store.raw.kind === 'postgres' && config.store.kind === 'postgres'
      ? new PostgresCluster({
          instance,
          url: config.store.url,
          pool: store.raw.pool,
          feed,
          leaseTtlMs: config.cluster.leaseTtlMs,
          electionEveryMs: config.cluster.electionMs,
          log: clusterLog,
        })
      : new LocalCluster(instance, feed, () => connectedHere());
  const ticketEvent = (t: TicketTable, kind: string) => {
    void ticketTelemetry.event(t, kind, now());
    cluster.publish({ type: 'ticket', tenant: t.tenant_id, ticketId: t.id, action: kind });
  };
  const contracts = new ContractBook(config.sla);
  const dueTimes = contracts.dueTimes();
  const connectors = createConnectors(config.connectors, now);
  const maintenanceBook = new MaintenanceBook(db, now);
  await maintenanceBook.reload();
  // maintenance: no notification about a ticket goes out while a window covers it.
  const notifier = maintenanceAwareNotifier(
    outboxNotifier(
      connectors.map((c) => ({ name: c.name, tenant: c.tenant })),
      { newId, now },
    ),
    maintenanceBook,
    now,
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
    risks: deps.risksAhead ?? forecastRiskProvider(db),
    notices,
    chromium: config.reports.chromium,
    log: log.child({ component: 'reports' }),
  });
  const ingestLog = log.child({ component: 'ingest' });
  const {
    store: ingestStore,
    stats: ingestStats,
    hosts,
    committer,
  } = createIngest(
    {
      rules: () => config.rules,
      policy: config.tickets.policy,
      reopenWindowMs: config.tickets.reopenWindowMs,
      staleAfterMs: config.tickets.silentAgentAfterMs,
      clockToleranceMs: config.ingest.clockToleranceMs,
      group: config.ingest.group,
      maxQueueDelayMs: config.ingest.maxQueueDelayMs,
    },
    {
      store,
      sink,
      contracts,
      notifier,
      newId,
      now,
      maintenance: maintenanceBook,
      onGroup: (g) => {
        telemetry.groups();
        telemetry.groupBatches({}, g.batches);
      },
      onWriteBehindError: (err) =>
        ingestLog.error({ err: err.message }, 'writing latest results behind failed; will retry'),
      ...(store.raw.kind === 'postgres'
        ? { fencing: { owner: instance, ttlMs: config.cluster.leaseTtlMs } }
        : {}),
    },
  );
  telemetry.registry.onCollect(() => {
    telemetry.storeStatements(ingestStore.counters.statements);
    telemetry.storeTransactions(ingestStore.counters.transactions);
    telemetry.ticketConflicts(ingestStats.ticketConflicts);
    telemetry.ingestBacklog(committer.backlog());
    telemetry.hostsInMemory(hosts.size());
    const c = cluster.status();
    telemetry.clusterLeader(c.leader ? 1 : 0, { instance: c.instance });
    telemetry.clusterHostsOwned(c.hostsOwned, { instance: c.instance });
  });
  const drift = new DriftSync({
    db,
    newId,
    now,
    reopenWindowMs: config.tickets.reopenWindowMs,
    dueTimes,
    notifier,
    maintenance: maintenanceBook,
    ...(store.dialect === 'postgres' ? { exclusive: advisoryLock(db) } : {}),
  });
  const forecastLog = log.child({ component: 'forecast' });
  const onForecastTicket = (e: ForecastTicketEffect) => {
    forecastLog.info({ ticket: e.ticket.id, host: e.ticket.host, event: e.kind }, 'forecast ticket');
    const kind = FORECAST_EVENT[e.kind];
    if (kind) ticketEvent(e.ticket, kind);
  };
  const forecastTicketDeps = {
    newId,
    now,
    reopenWindowMs: config.tickets.reopenWindowMs,
    dueTimes,
    notifier,
    maintenance: maintenanceBook,
  };
  const forecasts = new ForecastEvaluator({
    ...forecastTicketDeps,
    db,
    sink,
    rules: () => config.forecasts.rules,
    silentAgentAfterMs: config.tickets.silentAgentAfterMs,
    log: forecastLog,
    onTicket: onForecastTicket,
  });
  /** After a drift sync: parity figures for Grafana, and ticket events for the dashboards and the live page. */
  const publishDrift = async (o: SnapshotOutcome): Promise<void> => {
    // Figures are best effort: a sink failure must not fail the ticket work already committed.
    if (o.report) {
      await sink
        .write(parityPoints(o.report))
        .catch((err: Error) => sinkLog.error({ err: err.message }, 'parity figures not written'));
    }
    for (const t of o.tickets) {
      if (t.effect && 'ticket' in t.effect) {
        ticketEvent(t.effect.ticket, t.effect.kind === 'resolved' ? 'resolved' : 'opened');
      }
    }
  };
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
      cluster,
      leaseWaitMs: config.cluster.leaseWaitMs,
      committer,
      hosts,
      log: ingestLog,
      telemetry,
      now,
      newId,
      onSnapshotStored: (s) => {
        drift
          .snapshotStored({ tenantId: s.tenantId, host: s.host, application: s.application })
          .then(publishDrift)
          .catch((err: Error) => log.error({ err: err.message, host: s.host }, 'drift sync failed'));
      },
      onAgent: (tenant, host) => cluster.publish({ type: 'agent', tenant, host }),
      onEffects: (effects, host, tenant) => {
        cluster.publish({ type: 'results', tenant, host });
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
          // A threshold ticket takes over from the forecast ticket of the same check at once.
          if (e.kind === 'opened' || e.kind === 'reopened') {
            supersedeByThreshold(db, e.ticket, forecastTicketDeps)
              .then((closed) => closed.forEach(onForecastTicket))
              .catch((err: Error) =>
                forecastLog.error({ err: err.message }, 'closing forecast tickets failed'),
              );
          }
        }
      },
    },
  );

  connectedHere = () => gateway.connectedHosts();

  const app = createHttpServer(config, log);
  const auditQueue = new AuditQueue();
  hardenApi(app);

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
      await probeStore(store);
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', store: (err as Error).message });
    }
    const c = cluster.status();
    // The process id lets a launcher (the quick start) tell its own collector from another on the same port.
    return {
      status: 'ok',
      store: store.dialect,
      metrics: sink.name,
      agentsConnected: gateway.connectedCount(),
      cluster: { instance: c.instance, mode: c.mode, leader: c.leader, hostsOwned: c.hostsOwned },
      pid: process.pid,
    };
  });
  // A 10 ms timer whose lateness is the delay (the histogram holds the interval itself too: taken off). Each
  // scrape reads the window since the previous one and starts a new one.
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  const lateness = (ns: number) => Math.max(0, ns / 1e6 - LOOP_DELAY_RESOLUTION_MS) / 1000;
  app.get('/metrics', async (_req, reply) => {
    if (loopDelay.count > 0) {
      telemetry.loopDelayP50(lateness(loopDelay.percentile(50)));
      telemetry.loopDelayP99(lateness(loopDelay.percentile(99)));
      telemetry.loopDelayMax(lateness(loopDelay.max));
    }
    loopDelay.reset();
    const m = process.memoryUsage();
    telemetry.memory(m.rss);
    telemetry.heapUsed(m.heapUsed);
    telemetry.heapTotal(m.heapTotal);
    telemetry.externalMemory(m.external);
    return reply.type('text/plain; version=0.0.4').send(telemetry.registry.render());
  });
  registerWebRoutes(app, { feed, db });
  enrollRoute(app, { db, now, newId, log: log.child({ component: 'enroll' }) });
  await app.register(async (api) => {
    requireApiKey(api, db);
    enforceRoles(api);
    auditRequests(api, { db, now, newId, log: log.child({ component: 'audit' }), queue: auditQueue });
    agentRoutes(api, { db, connectedHosts: () => cluster.connectedHosts() });
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
      maintenance: maintenanceBook,
      onAction: (t, action) => ticketEvent(t, ACTION_EVENT[action] ?? action),
    });
    tenantRoutes(api, { db });
    lifecycleRoutes(api, {
      db,
      now,
      newId,
      dueTimes,
      notifier,
      disconnect: (tokenId, reason) => gateway.disconnectToken(tokenId, reason),
      onTicket: ticketEvent,
    });
    maintenanceRoutes(api, { db, now, newId, book: maintenanceBook });
    thresholdRoutes(api, { db, rules: () => config.rules });
    registerDriftRoutes(api, {
      db,
      now,
      onIgnoreChanged: (tenant, application) => drift.ignoreChanged(tenant, application).then(publishDrift),
    });
    parityDecisionRoutes(api, { db, now });
    seriesRoutes(api, { sink, now });
    await api.register(forecastRoutes, { db, now, rules: () => config.forecasts.rules });
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
    deadLetterRoutes(api, { sink });
  });

  app.server.on('upgrade', (req, socket, head) => {
    if (!gateway.handleUpgrade(req, socket, head)) {
      // Node leaves an upgrade's socket without an 'error' listener: a client that resets it would otherwise
      // throw ECONNRESET out of the collector.
      socket.on('error', (err) => log.debug({ err: err.message }, 'upgrade socket error'));
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
      maintenance: maintenanceBook,
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
  // Background work runs once cluster-wide: on the leader (always, for a lone collector).
  const sweeper = setInterval(() => {
    if (!cluster.isLeader()) return;
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
  cluster.onLeadership((leader) => {
    if (leader) forecasts.start(config.forecasts.intervalMs);
    else void forecasts.stop();
    if (connectors.length === 0) return;
    if (leader) dispatcher.start(1000);
    else void dispatcher.stop();
  });
  maintenanceBook.start(config.maintenance.reloadIntervalMs, (err) =>
    log.error({ err: err.message }, 'reloading maintenance windows failed; the previous ones stay in force'),
  );
  const maintenance = setInterval(() => {
    if (!cluster.isLeader()) return;
    const before = new Date(now().getTime() - config.ingest.dedupeWindowMs);
    Promise.all([pruneSeenResults(db, before), pruneStreams(db, before)]).catch((err: Error) =>
      log.error({ err: err.message }, 'pruning handled result ids and stream marks failed'),
    );
  }, 3_600_000);
  maintenance.unref();

  // Leases, leadership and the shared live feed from now on (background work starts on the leader).
  await cluster.start();

  return {
    app,
    store,
    sink,
    gateway,
    telemetry,
    sinkBacklog: () => (sink instanceof SpoolingSink ? sink.backlog() : { bytes: 0, batches: 0 }),
    async listen() {
      gateway.start();
      hosts.start(config.ingest.writeBehindMs);
      await app.listen({ host: config.listen.host, port: config.listen.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
      const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
      return `${config.tls ? 'https' : 'http'}://${host}:${port}`;
    },
    sweep: runSweep,
    forecast: () => forecasts.runOnce(),
    account,
    reports,
    async close() {
      await forecasts.stop();
      clearInterval(maintenance);
      clearInterval(sweeper);
      maintenanceBook.stop();
      await dispatcher.stop();
      for (const c of connectors) c.close?.();
      loopDelay.disable();
      await gateway.close();
      await hosts.close();
      await cluster.close();
      await app.close();
      await reports.idle();
      await auditQueue.idle();
      await sink.close();
      await history?.close();
      await store.close();
    },
  };
}
