// "Risks ahead" for a tenant's periodic report: the forecasts standing at the last evaluation, and the
// forecast tickets of the period with what became of each (still open, the trend receded, superseded by the
// threshold ticket, resolved or closed by someone).
import type { Risk, RiskProvider } from '../reports/compute.js';
import type { Db } from '../store/open.js';
import { CLOSED_STATUSES, ticketTimeline } from '../store/tickets.js';
import { listForecasts } from './store.js';
import { FORECAST_ACTOR, FORECAST_KIND } from './tickets.js';
import { type ForecastView, forecastView } from './view.js';

export type ForecastOutcome = 'open' | 'receded' | 'superseded' | 'resolved' | 'closed';

export interface ForecastTicketRisk {
  ticketId: string;
  host: string;
  application: string;
  environment: string;
  /** The forecast ticket's check id: `forecast:<check>:<metric>`. */
  checkId: string;
  title: string;
  priority: string;
  status: string;
  openedAt: string;
  resolvedAt: string | null;
  /** The crossing predicted when the ticket opened, and the latest prediction recorded on it. */
  firstPredictedAt: string | null;
  lastPredictedAt: string | null;
  outcome: ForecastOutcome;
  /** The threshold ticket that took over, for `superseded`. */
  supersededBy: string | null;
}

export interface ForecastReport {
  tenant: string;
  from: string;
  to: string;
  /** Forecasts with a predicted crossing or a steady growth, as of their last evaluation (soonest first). */
  standing: ForecastView[];
  /** Forecast tickets open at some time in [from, to], oldest first. */
  tickets: ForecastTicketRisk[];
}

const STANDING = ['crossing', 'growing', 'beyond_horizon'];

export async function forecastsForTenant(
  db: Db,
  tenant: string,
  from: Date,
  to: Date,
): Promise<ForecastReport> {
  const standing = (await listForecasts(db, { tenantId: tenant, verdicts: STANDING, limit: 1000 })).map(
    forecastView,
  );
  const rows = await db
    .selectFrom('tickets')
    .selectAll()
    .where('tenant_id', '=', tenant)
    .where('kind', '=', FORECAST_KIND)
    .where('opened_at', '<=', to.toISOString())
    .where((eb) => eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>=', from.toISOString())]))
    .orderBy('opened_at')
    .orderBy('id')
    .execute();
  const tickets: ForecastTicketRisk[] = [];
  for (const t of rows) {
    const events = await ticketTimeline(db, t.id);
    const predicted = events
      .map((e) => JSON.parse(e.details) as { predictedAt?: string | null; to?: string | null })
      .map((d) => d.predictedAt ?? d.to ?? null)
      .filter((p): p is string => typeof p === 'string');
    const superseded = events.findLast((e) => e.kind === 'superseded');
    const last = events.findLast(
      (e) => e.kind === 'resolved' || e.kind === 'closed' || e.kind === 'superseded',
    );
    let outcome: ForecastOutcome = 'open';
    if ((CLOSED_STATUSES as readonly string[]).includes(t.status)) {
      if (last?.kind === 'superseded') outcome = 'superseded';
      else if (last?.kind === 'resolved' && last.actor === FORECAST_ACTOR) outcome = 'receded';
      else outcome = t.status === 'closed' ? 'closed' : 'resolved';
    }
    tickets.push({
      ticketId: t.id,
      host: t.host,
      application: t.application ?? '',
      environment: t.environment ?? '',
      checkId: t.check_id,
      title: t.title,
      priority: t.priority ?? 'P4',
      status: t.status,
      openedAt: t.opened_at,
      resolvedAt: t.resolved_at,
      firstPredictedAt: predicted[0] ?? null,
      lastPredictedAt: predicted.at(-1) ?? null,
      outcome,
      supersededBy: superseded ? ((JSON.parse(superseded.details) as { by?: string }).by ?? null) : null,
    });
  }
  return { tenant, from: from.toISOString(), to: to.toISOString(), standing, tickets };
}

const DAY_S = 86_400;

/**
 * The "risks ahead" of a client report, from the forecasts: each standing forecast (the sooner the crossing,
 * the more severe), then each forecast ticket of the period with what became of it.
 */
export function forecastRiskProvider(db: Db): RiskProvider {
  return async (tenant, period) => {
    const r = await forecastsForTenant(db, tenant, period.from, period.to);
    const risks: Risk[] = [];
    for (const f of r.standing) {
      const what = `${f.metric} on ${f.host}`;
      const when = f.predictedAt
        ? `reaches ${f.limit} around ${f.predictedAt}`
        : `grows by ${f.growthPercent ?? '?'} %`;
      const quality = f.fit
        ? `; fit over ${Math.round(f.fit.windowSeconds / 3600)} h, quality ${f.fit.quality.toFixed(2)}`
        : '';
      risks.push({
        title: `${what}: ${when}`,
        detail: `${f.verdict}${quality}${f.ticketId ? `; ticket ${f.ticketId}` : ''}`,
        severity:
          f.seconds !== null && f.seconds < DAY_S
            ? 'critical'
            : f.seconds !== null && f.seconds < 7 * DAY_S
              ? 'warning'
              : 'info',
      });
    }
    for (const t of r.tickets) {
      risks.push({
        title: t.title,
        detail: `${t.outcome}; opened ${t.openedAt}${t.lastPredictedAt ? `; last predicted ${t.lastPredictedAt}` : ''}`,
        severity:
          t.outcome === 'open'
            ? t.priority === 'P1' || t.priority === 'P2'
              ? 'critical'
              : 'warning'
            : 'info',
      });
    }
    return risks;
  };
}
