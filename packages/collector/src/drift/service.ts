// Ties the drift pieces together for the collector: the parity report of an application from the store, and
// what to do when a snapshot has been stored (first-seen times, parity report, drift tickets, metric points).
import type { MetricPoint } from '../sinks/types.js';
import type { Db } from '../store/open.js';
import { applyDecisions, listDecisions } from './decisions.js';
import { getIgnoreSettings } from './ignore.js';
import { buildParityReport, byEnvironment, type ParityHost, type ParityReport } from './parity.js';
import { loadHostState, recordItemsSeen, resolveItems } from './snapshots.js';
import { type ParityTicketDeps, type ParityTicketSync, syncParityTickets } from './tickets.js';

/** The hosts of an application (from the agents' hellos), with their environments, by name. */
export async function applicationHosts(
  db: Db,
  tenantId: string,
  application: string,
): Promise<Array<{ host: string; environment: string }>> {
  return db
    .selectFrom('agents')
    .select(['host', 'environment'])
    .where('tenant_id', '=', tenantId)
    .where('application', '=', application)
    .orderBy('host')
    .execute();
}

/** The application's parity report now; undefined when it has no production host that sent a snapshot. */
export async function parityReportFor(
  db: Db,
  tenantId: string,
  application: string,
  now: Date,
): Promise<ParityReport | undefined> {
  const hosts = await applicationHosts(db, tenantId, application);
  const states: ParityHost[] = [];
  for (const h of hosts) states.push({ ...h, state: await loadHostState(db, tenantId, h.host) });
  const ignore = await getIgnoreSettings(db, tenantId, application);
  const report = buildParityReport({
    tenant: tenantId,
    application,
    generatedAt: now.toISOString(),
    hosts: states,
    ignore: ignore.effective,
  });
  return report && applyDecisions(report, await listDecisions(db, tenantId, application));
}

/** Records since when each item of the host holds its current value (after a snapshot of it was stored). */
export async function refreshItemsSeen(db: Db, tenantId: string, host: string): Promise<void> {
  const resolved = await resolveItems(db, tenantId, host);
  if (resolved) await recordItemsSeen(db, tenantId, host, resolved.items, resolved.takenAt);
}

/**
 * `vigie_parity` points, one per compared environment: tags tenant, application, environment; fields critical,
 * warning, info (differences summed over the environment's hosts) and at_parity (1 or 0).
 */
export function parityPoints(report: ParityReport): MetricPoint[] {
  const time = Date.parse(report.generatedAt);
  return [...byEnvironment(report)].map(([environment, comparisons]) => ({
    measurement: 'vigie_parity',
    tags: { tenant: report.tenant, application: report.application, environment },
    fields: {
      critical: comparisons.reduce((n, c) => n + c.counts.critical, 0),
      warning: comparisons.reduce((n, c) => n + c.counts.warning, 0),
      info: comparisons.reduce((n, c) => n + c.counts.info, 0),
      at_parity: comparisons.every((c) => c.atParity) ? 1 : 0,
    },
    time,
  }));
}

export interface SnapshotOutcome {
  /** The host's application (as given, or from its agent row); undefined when unknown. */
  application: string | undefined;
  /** The application's parity report after this snapshot; undefined without a production snapshot. */
  report: ParityReport | undefined;
  tickets: ParityTicketSync[];
}

/**
 * What the collector does after storing a snapshot of a host: record first-seen times, rebuild the parity
 * report of the host's application and sync its drift tickets. Calls for one (tenant, application) run one
 * after the other in this process, so two hosts' snapshots arriving together do not race for the same ticket.
 */
export class DriftSync {
  private readonly queues = new Map<string, Promise<unknown>>();

  /**
   * @param deps.exclusive With several collectors: runs `fn` holding a cluster-wide lock named `key`, on the
   *   connection given to it, so two collectors never sync one application's drift tickets at once.
   */
  constructor(
    private readonly deps: ParityTicketDeps & {
      db: Db;
      exclusive?: <T>(key: string, fn: (db: Db) => Promise<T>) => Promise<T>;
    },
  ) {}

  async snapshotStored(params: {
    tenantId: string;
    host: string;
    application?: string;
  }): Promise<SnapshotOutcome> {
    const { db } = this.deps;
    const application =
      params.application ??
      (
        await db
          .selectFrom('agents')
          .select('application')
          .where('tenant_id', '=', params.tenantId)
          .where('host', '=', params.host)
          .executeTakeFirst()
      )?.application;
    const key = JSON.stringify([params.tenantId, application ?? `host:${params.host}`]);
    return this.queued(key, (conn) => this.handle(conn, params.tenantId, params.host, application));
  }

  /**
   * What the collector does when an application's ignore patterns changed: rebuild its parity report and sync
   * its drift tickets at once, as after a snapshot (not at the next snapshot, up to an hour later).
   */
  async ignoreChanged(tenantId: string, application: string): Promise<SnapshotOutcome> {
    return this.queued(JSON.stringify([tenantId, application]), async (conn) => {
      const report = await parityReportFor(conn, tenantId, application, this.deps.now());
      if (!report) return { application, report, tickets: [] };
      return { application, report, tickets: await syncParityTickets(conn, report, this.deps) };
    });
  }

  /**
   * Runs `work` after every earlier call with the same key (one application at a time in this process), and
   * under the cluster-wide lock of the key when there is one (one at a time across collectors).
   */
  private async queued(key: string, work: (db: Db) => Promise<SnapshotOutcome>): Promise<SnapshotOutcome> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const exclusive = this.deps.exclusive;
    const locked = () => (exclusive ? exclusive(`drift:${key}`, work) : work(this.deps.db));
    const run = previous.then(locked, locked);
    this.queues.set(key, run);
    try {
      return await run;
    } finally {
      if (this.queues.get(key) === run) this.queues.delete(key);
    }
  }

  private async handle(
    db: Db,
    tenantId: string,
    host: string,
    application: string | undefined,
  ): Promise<SnapshotOutcome> {
    await refreshItemsSeen(db, tenantId, host);
    if (application === undefined) return { application, report: undefined, tickets: [] };
    const report = await parityReportFor(db, tenantId, application, this.deps.now());
    if (!report) return { application, report, tickets: [] };
    const tickets = await syncParityTickets(db, report, this.deps);
    return { application, report, tickets };
  }
}
