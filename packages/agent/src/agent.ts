// Wires the agent together: scheduler -> outbox -> collector client.
import { createIdGenerator } from '@vigie/shared';
import type { AgentConfig } from './config/schema.js';
import type { AgentLog } from './log.js';
import { DiskOutbox } from './outbox/disk.js';
import { Scheduler } from './scheduler.js';
import { SnapshotStream } from './snapshots.js';
import { CollectorClient } from './transport/client.js';
import { AGENT_VERSION } from './version.js';

const DRAIN_ON_STOP_MS = 5000;

export interface RunningAgent {
  stop(): Promise<void>;
}

export function startAgent(config: AgentConfig, log: AgentLog): RunningAgent {
  if (!config.collector) throw new Error('config has no collector section: nowhere to send results');
  const token = process.env.VIGIE_AGENT_TOKEN ?? config.collector.token;
  if (!token)
    throw new Error('no agent token: set collector.token or collector.tokenFile, or VIGIE_AGENT_TOKEN');
  const newId = createIdGenerator();
  const snapshots = new SnapshotStream({ newId, now: Date.now });
  const outbox = new DiskOutbox({
    dir: config.delivery.outboxDir,
    maxBytes: config.delivery.outboxMaxBytes,
    maxAgeMs: config.delivery.outboxMaxAgeMs,
    fsync: config.delivery.fsync,
    newId,
    warn: (message) => log.warn({ outbox: config.delivery.outboxDir }, message),
  });
  if (outbox.size() > 0)
    log.info({ pending: outbox.size() }, 'outbox holds unacked entries from a previous run; resending');
  const client = new CollectorClient(
    {
      url: config.collector.url,
      urls: config.collector.urls,
      token,
      tls: config.collector.tls,
      agent: {
        host: config.host.name,
        environment: config.host.environment,
        application: config.host.application,
        version: AGENT_VERSION,
      },
      batchSize: config.delivery.batchSize,
      reconnectMinMs: config.delivery.reconnectMinMs,
      reconnectMaxMs: config.delivery.reconnectMaxMs,
      heartbeatMs: config.delivery.heartbeatMs,
      newId,
      onSnapshotRequest: (checkId, reason) => {
        log.info({ check: checkId, reason }, 'collector asked for a full snapshot');
        const full = snapshots.fullAgain(checkId, new Date().toISOString());
        if (full) outbox.push({ kind: 'snapshot', snapshot: full });
      },
    },
    outbox,
    log,
  );
  const scheduler = new Scheduler(
    config.checks,
    {
      onResult: (run) => {
        outbox.push({ kind: 'result', result: run.result });
        log.debug(
          {
            check: run.result.checkId,
            status: run.result.status,
            id: run.result.id,
            observedAt: run.result.observedAt,
          },
          'check ran',
        );
        if (run.snapshot) {
          const snapshot = snapshots.next(run.result.checkId, run.snapshot, run.result.observedAt);
          if (snapshot) outbox.push({ kind: 'snapshot', snapshot });
        }
      },
      onSkipped: (checkId) => log.warn({ check: checkId }, 'previous run still going; this run skipped'),
    },
    { newId },
  );
  client.start();
  scheduler.start();
  log.info(
    { host: config.host.name, checks: config.checks.length, collector: config.collector.url },
    'agent started',
  );
  return {
    async stop() {
      await scheduler.stop();
      // Give the collector a bounded chance to ack what is queued; what is left stays in the outbox for next start.
      const deadline = Date.now() + DRAIN_ON_STOP_MS;
      while (outbox.size() > 0 && client.isReady() && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      if (outbox.size() > 0)
        log.info({ pending: outbox.size() }, 'stopping with unacked entries kept in the outbox');
      await client.stop();
      outbox.close();
    },
  };
}
