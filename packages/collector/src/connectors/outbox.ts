// The durable notification outbox: ticket events are recorded per connector in the store (`enqueue`), and a
// dispatcher sends them, retrying with backoff, so a receiver that is down or slow loses nothing.
//
// Delivery guarantee, honestly: each (event, connector) is sent once in normal operation, and never twice
// because two dispatchers (processes sharing a PostgreSQL store, or overlapping runOnce calls) raced for it.
// Exactly-once over HTTP is impossible, though: a delivery is claimed (`sending`, with a lease) before its
// request leaves and marked `sent` after the answer, so when the process dies in between (or the store fails
// the mark, or the process stalls past the lease) the delivery is sent again once the lease lapses. Each such
// crash causes at most one more send, and each counts as an attempt, so the total stays bounded by maxAttempts.
// Every send of an event carries the same identity (the webhook's X-Vigie-Event-Id, PagerDuty's dedup_key)
// so the receiver can drop the repeat.

import type { Db } from '../store/open.js';
import { type Backoff, retryDelayMs } from './backoff.js';
import {
  type Claim,
  claimDelivery,
  dueDeliveries,
  markFailed,
  markRetry,
  markSent,
  type NotificationDeliveryTable,
} from './deliveries.js';
import { type Connector, DeliveryError, type TenantNotice, type TicketNotification } from './types.js';

export {
  connectorsMigration,
  type DeliveryStatus,
  deliveryRows,
  enqueue,
  enqueueNotice,
  listDeliveries,
  type NotificationDeliveryTable,
  pruneDeliveries,
} from './deliveries.js';

/** What the dispatcher reports; a pino logger fits. */
export interface DispatchLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DispatcherOptions {
  db: Db;
  connectors: readonly Connector[];
  now: () => Date;
  /** In [0, 1): the jitter of retry delays. Default Math.random. */
  random?: () => number;
  backoff: Backoff;
  /** Sends of one delivery before it is given up as failed. Default 20. */
  maxAttempts?: number;
  /** Deliveries read per pass. Default 50. */
  batchSize?: number;
  /** Upper bound on one send, whatever the connector's own timeout. Default 60 s. */
  sendTimeoutMs?: number;
  /** How long a claim holds before another dispatcher may take the delivery over; above sendTimeoutMs. Default 2 min. */
  leaseMs?: number;
  /** Default: warnings and errors as process warnings (stderr). */
  log?: DispatchLog;
}

const PROCESS_WARNINGS: DispatchLog = {
  info: () => undefined,
  warn: (obj, msg) => process.emitWarning(`${msg} ${JSON.stringify(obj)}`),
  error: (obj, msg) => process.emitWarning(`${msg} ${JSON.stringify(obj)}`),
};

export class NotificationDispatcher {
  private readonly connectors = new Map<string, Connector>();
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly batchSize: number;
  private readonly sendTimeoutMs: number;
  private readonly leaseMs: number;
  private readonly log: DispatchLog;
  private started = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;

  constructor(private readonly options: DispatcherOptions) {
    for (const c of options.connectors) {
      if (this.connectors.has(c.name)) throw new Error(`two connectors are named "${c.name}"`);
      this.connectors.set(c.name, c);
    }
    this.random = options.random ?? Math.random;
    this.maxAttempts = options.maxAttempts ?? 20;
    this.batchSize = options.batchSize ?? 50;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 60_000;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.log = options.log ?? PROCESS_WARNINGS;
    const { minMs, maxMs } = options.backoff;
    if (!(minMs > 0 && maxMs >= minMs))
      throw new Error(`backoff needs 0 < minMs <= maxMs, got ${minMs}, ${maxMs}`);
    if (this.leaseMs <= this.sendTimeoutMs) {
      throw new Error(`leaseMs (${this.leaseMs}) must exceed sendTimeoutMs (${this.sendTimeoutMs})`);
    }
  }

  /**
   * One pass: sends the deliveries due now. Connectors are served in parallel, each one's deliveries in order;
   * after a retryable failure, a connector's remaining deliveries wait for the next pass (its receiver is
   * likely down: no point spending their attempts). Returns how many deliveries it tried.
   */
  async runOnce(): Promise<number> {
    const due = await dueDeliveries(
      this.options.db,
      [...this.connectors.keys()],
      this.options.now(),
      this.batchSize,
    );
    const byConnector = new Map<string, NotificationDeliveryTable[]>();
    for (const row of due) byConnector.set(row.connector, [...(byConnector.get(row.connector) ?? []), row]);
    const tried = await Promise.all(
      [...byConnector].map(([name, rows]) =>
        this.deliverInOrder(this.connectors.get(name) as Connector, rows),
      ),
    );
    return tried.reduce((a, b) => a + b, 0);
  }

  /** Runs a pass now, then every `intervalMs` (at once after a full batch), until stop(). */
  start(intervalMs: number): void {
    if (this.started) return;
    this.started = true;
    const tick = async (): Promise<void> => {
      let tried = 0;
      try {
        tried = await this.runOnce();
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        this.log.error({ error }, 'notification dispatch pass failed; next pass at the next interval');
      }
      if (!this.started) return;
      this.timer = setTimeout(
        () => {
          this.pass = tick();
        },
        tried >= this.batchSize ? 0 : intervalMs,
      );
      this.timer.unref();
    };
    this.pass = tick();
  }

  /** Stops the loop; resolves once the sends under way are recorded (no new one starts meanwhile). */
  async stop(): Promise<void> {
    this.started = false;
    this.stopping = true;
    clearTimeout(this.timer);
    await this.pass;
    this.stopping = false;
  }

  private async deliverInOrder(connector: Connector, rows: NotificationDeliveryTable[]): Promise<number> {
    let tried = 0;
    for (const row of rows) {
      if (this.stopping) break;
      const outcome = await this.deliver(connector, row);
      if (outcome === 'taken') continue;
      tried++;
      if (outcome === 'retry') break;
    }
    return tried;
  }

  private async deliver(
    connector: Connector,
    row: NotificationDeliveryTable,
  ): Promise<'sent' | 'retry' | 'failed' | 'taken'> {
    const { db, now } = this.options;
    const claim = await claimDelivery(db, row, now(), this.leaseMs);
    if (!claim) return 'taken';
    if (row.attempts >= this.maxAttempts) {
      // Only a lapsed claim gets here: its dispatcher died during the last attempt allowed.
      const error = `the claim of attempt ${row.attempts} lapsed (its dispatcher died or stalled): whether the receiver got it is unknown`;
      if (await markFailed(db, claim, error))
        this.log.error({ ...this.context(row, claim), error }, 'notification delivery failed for good');
      return 'failed';
    }
    try {
      const payload = JSON.parse(row.payload) as TicketNotification | TenantNotice;
      const signal = AbortSignal.timeout(this.sendTimeoutMs);
      if ('ticket' in payload) await connector.send(payload, signal);
      else if (connector.sendNotice) await connector.sendNotice(payload, signal);
      else
        throw new DeliveryError(`connector "${connector.name}" does not carry tenant notices`, {
          retryable: false,
        });
    } catch (err) {
      return this.recordFailure(row, claim, err);
    }
    if (await markSent(db, claim.id, now()))
      this.log.info(this.context(row, claim), 'notification delivered');
    else this.log.warn(this.context(row, claim), 'notification delivered, but already recorded as sent');
    return 'sent';
  }

  private async recordFailure(
    row: NotificationDeliveryTable,
    claim: Claim,
    err: unknown,
  ): Promise<'retry' | 'failed'> {
    const { db, now, backoff } = this.options;
    const log = this.log;
    const error = err instanceof Error ? err.message : String(err);
    // Anything but a DeliveryError is unexpected (a connector bug, say): retry it, within maxAttempts.
    const retryable = err instanceof DeliveryError ? err.retryable : true;
    const context = { ...this.context(row, claim), error };
    if (!retryable || claim.attempts >= this.maxAttempts) {
      const why = retryable ? `gave up after ${claim.attempts} attempts: ${error}` : error;
      if (await markFailed(db, claim, why)) log.error(context, 'notification delivery failed for good');
      else log.warn(context, 'notification delivery failed, but another dispatcher took it over meanwhile');
      return 'failed';
    }
    const retryAfterMs = err instanceof DeliveryError ? err.retryAfterMs : undefined;
    const delay = retryDelayMs(claim.attempts, backoff, this.random, retryAfterMs);
    const nextAt = new Date(now().getTime() + delay);
    if (await markRetry(db, claim, nextAt, error)) {
      log.warn({ ...context, retryInMs: delay }, 'notification delivery failed, will retry');
    } else {
      log.warn(context, 'notification delivery failed, but another dispatcher took it over meanwhile');
    }
    return 'retry';
  }

  private context(row: NotificationDeliveryTable, claim: Claim): object {
    return { eventId: row.event_id, connector: row.connector, kind: row.kind, attempt: claim.attempts };
  }
}
