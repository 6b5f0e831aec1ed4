// Drift tickets: one per (application, compared environment), driven through the collector's ticket machinery
// (tickets/apply.ts) from the parity report: opened when the environment has a critical or warning difference
// with production, updated when those differences change, resolved when parity is restored.
//
// The ticket key is (tenant, host, checkId) = (tenant, <application name>, `parity:<environment>`): the
// application name stands in for the host, since the ticket is about the application's environment as a whole,
// not about one machine. Its `application` and `environment` columns are set as for any ticket, so the queue's
// filters and the priority matrix (iso-production critical = P2, warning = P3) apply.
import { createHash } from 'node:crypto';
import type { Status } from '@vigie/shared';
import type { Db } from '../store/open.js';
import { findOpenTicket } from '../store/tickets.js';
import { type ApplyDeps, applyStatus, type TicketEffect } from '../tickets/apply.js';
import { dedupKey } from '../tickets/lifecycle.js';
import type { NotificationKind, Notifier } from '../tickets/notifier.js';
import { driftDb } from './migration.js';
import { byEnvironment, emptyCounts, type ParityComparison, type ParityReport } from './parity.js';

export const PARITY_CHECK_TYPE = 'parity';

export function parityCheckId(environment: string): string {
  return `parity:${environment}`;
}

export interface ParityTicketDeps extends ApplyDeps {
  /** Notifies connectors of opened, raised and resolved drift tickets (as the ingest pipeline does). */
  notifier?: Notifier;
}

export interface ParityTicketSync {
  environment: string;
  status: Extract<Status, 'ok' | 'warning' | 'critical'>;
  /** What happened to the ticket; undefined when nothing changed. */
  effect: TicketEffect | undefined;
}

/** critical when any host of the environment has a critical difference, warning for a warning one, else ok. */
export function environmentStatus(comparisons: readonly ParityComparison[]): ParityTicketSync['status'] {
  if (comparisons.some((c) => c.counts.critical > 0)) return 'critical';
  if (comparisons.some((c) => c.counts.warning > 0)) return 'warning';
  return 'ok';
}

const MAX_MESSAGE = 2000;
const TOP = 8;

const show = (v: string | null) => (v === null ? 'absent' : JSON.stringify(v));

/** The ticket message: counts, then the top critical and warning differences (values shown as in the report). */
export function parityMessage(
  report: ParityReport,
  environment: string,
  comparisons: readonly ParityComparison[],
): string {
  const counts = emptyCounts();
  for (const c of comparisons)
    for (const s of ['critical', 'warning', 'info'] as const) counts[s] += c.counts[s];
  const status = environmentStatus(comparisons);
  const head =
    `${environment} of ${report.application} ${status === 'ok' ? 'is at parity with' : 'differs from'} ` +
    `production (${report.reference.host}): ${counts.critical} critical, ${counts.warning} warning, ` +
    `${counts.info} info difference(s).`;
  const parts = [head];
  for (const c of comparisons) {
    const top = c.differences.filter((d) => d.severity !== 'info');
    if (top.length === 0) continue;
    const listed = top
      .slice(0, TOP)
      .map((d) => `${d.item}: ${show(d.production)} -> ${show(d.other)} (${d.severity}, ${d.reason})`);
    const more = top.length > TOP ? `; and ${top.length - TOP} more` : '';
    parts.push(`${c.host}: ${listed.join('; ')}${more}.`);
  }
  const text = parts.join(' ');
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

function digest(status: string, comparisons: readonly ParityComparison[]): string {
  const significant = comparisons.map((c) => [
    c.host,
    c.differences
      .filter((d) => d.severity !== 'info')
      .map((d) => [d.item, d.severity, d.production, d.other]),
  ]);
  return createHash('sha256')
    .update(JSON.stringify([status, significant]))
    .digest('hex');
}

const NOTIFY: Record<TicketEffect['kind'], NotificationKind | undefined> = {
  opened: 'opened',
  reopened: 'opened',
  occurrence: 'updated',
  flapping: 'updated',
  resolved: 'resolved',
};

async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/**
 * Brings the drift ticket of each compared environment of the report up to date: opens it (critical or warning),
 * records an occurrence when the critical and warning differences changed (severity raised if worse), resolves
 * it when the environment is back at parity. A report whose significant differences are unchanged since the
 * last sync leaves an open ticket alone. Runs in one transaction (the caller's, if it passes one).
 */
export async function syncParityTickets(
  db: Db,
  report: ParityReport,
  deps: ParityTicketDeps,
): Promise<ParityTicketSync[]> {
  return inTransaction(db, async (trx) => {
    const out: ParityTicketSync[] = [];
    for (const [environment, comparisons] of byEnvironment(report)) {
      const status = environmentStatus(comparisons);
      const checkId = parityCheckId(environment);
      const hash = digest(status, comparisons);
      const open = await findOpenTicket(trx, dedupKey(report.tenant, report.application, checkId));
      const state = await driftDb(trx)
        .selectFrom('drift_parity_state')
        .selectAll()
        .where('tenant_id', '=', report.tenant)
        .where('application', '=', report.application)
        .where('environment', '=', environment)
        .executeTakeFirst();
      const unchanged = state?.digest === hash && state.status === status;
      let effect: TicketEffect | undefined;
      if ((status === 'ok' && open) || (status !== 'ok' && !(open && unchanged))) {
        effect = await applyStatus(
          trx,
          {
            tenantId: report.tenant,
            host: report.application,
            environment,
            application: report.application,
            checkId,
            checkType: PARITY_CHECK_TYPE,
            status,
            message: parityMessage(report, environment, comparisons),
            observedAt: report.generatedAt,
            resultId: `${checkId}:${report.application}:${report.generatedAt}`,
            findings: [],
          },
          deps,
        );
        const kind = effect ? NOTIFY[effect.kind] : undefined;
        if (effect && kind && deps.notifier && (effect.kind !== 'occurrence' || effect.raised))
          await deps.notifier.notify(trx, effect.ticket, kind);
      }
      if (!unchanged) {
        const row = {
          tenant_id: report.tenant,
          application: report.application,
          environment,
          status,
          digest: hash,
          updated_at: deps.now().toISOString(),
        };
        await driftDb(trx)
          .insertInto('drift_parity_state')
          .values(row)
          .onConflict((oc) =>
            oc
              .columns(['tenant_id', 'application', 'environment'])
              .doUpdateSet({ status: row.status, digest: row.digest, updated_at: row.updated_at }),
          )
          .execute();
      }
      out.push({ environment, status, effect });
    }
    return out;
  });
}
