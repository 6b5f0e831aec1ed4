// The background forecast pass, outside the ingest path: for every reporting host, read the history of each
// series a forecast rule governs from the metrics sink, forecast it, keep its row and its ticket up to date,
// and write `vigie_forecast` points for Grafana. Runs on a timer (`forecasts.interval`) and once on demand.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type MetricPoint, type MetricsSink, measurementFor, type SeriesPoint } from '../sinks/types.js';
import type { Db } from '../store/open.js';
import type { AgentTable } from '../store/schema.js';
import type { Sample } from './fit.js';
import { AT_RISK, forecastSeries, type SeriesForecast } from './forecast.js';
import type { ForecastTable } from './migration.js';
import { type ForecastRule, labelFor, ruleAdmitsHost, ruleFor, type SeriesScope } from './rules.js';
import { getForecast, pruneForecasts, saveForecast } from './store.js';
import {
  type ForecastSubject,
  type ForecastTicketDeps,
  type ForecastTicketEffect,
  syncForecastTicket,
} from './tickets.js';

export const FORECAST_MEASUREMENT = 'vigie_forecast';
/** Forecast rows of series not seen for this long are dropped. */
const FORGET_AFTER_MS = 7 * 86_400_000;
/** At most this many points are read per series and field: a week of one point a minute is 10,080. */
const MAX_HISTORY_POINTS = 20_000;

export interface ForecastEvaluatorDeps extends ForecastTicketDeps {
  db: Db;
  sink: MetricsSink;
  rules: () => readonly ForecastRule[];
  /** Hosts silent for longer are left alone: no new data is no news, not a receding trend. */
  silentAgentAfterMs: number;
  log: Logger;
  onTicket?: (effect: ForecastTicketEffect) => void;
}

export interface ForecastRun {
  hosts: number;
  series: number;
  atRisk: number;
  effects: ForecastTicketEffect[];
  /** Why nothing was evaluated, when so. */
  skipped?: string;
}

interface Candidate {
  scope: SeriesScope;
  type: string;
  metric: string;
  rule: ForecastRule;
  samples: Sample[];
}

const seriesKey = (check: string, instance: string | undefined) => `${check}\u0000${instance ?? ''}`;

export class ForecastEvaluator {
  private running: Promise<ForecastRun> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private warnedNoQuery = false;

  constructor(private readonly deps: ForecastEvaluatorDeps) {}

  /** One pass over every host; a call while a pass runs joins it rather than starting another. */
  runOnce(): Promise<ForecastRun> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      this.runOnce().catch((err: Error) => this.deps.log.error({ err: err.message }, 'forecast pass failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<ForecastRun> {
    const { db, sink, log } = this.deps;
    const run: ForecastRun = { hosts: 0, series: 0, atRisk: 0, effects: [] };
    if (!sink.query) {
      run.skipped = `the ${sink.name} metrics sink cannot read history back: no forecasts`;
      if (!this.warnedNoQuery) log.warn(run.skipped);
      this.warnedNoQuery = true;
      return run;
    }
    const rules = this.deps.rules();
    const now = this.deps.now();
    const cutoff = new Date(now.getTime() - this.deps.silentAgentAfterMs).toISOString();
    const agents = await db.selectFrom('agents').selectAll().where('last_seen', '>=', cutoff).execute();
    const points: MetricPoint[] = [];
    for (const agent of agents) {
      const candidates = await this.candidates(agent, rules, now.getTime()).catch((err: Error) => {
        log.warn({ host: agent.host, err: err.message }, 'forecast: cannot read the history of a host');
        return [];
      });
      if (candidates.length > 0) run.hosts++;
      for (const c of candidates) {
        const forecast = forecastSeries(c.rule, c.samples, now.getTime());
        run.series++;
        if (AT_RISK.includes(forecast.verdict)) run.atRisk++;
        const effect = await this.record(c, forecast);
        if (effect) {
          run.effects.push(effect);
          this.deps.onTicket?.(effect);
        }
        points.push(forecastPoint(c, forecast, now.getTime()));
      }
      // Give the ingest a turn between hosts: the embedded sink answers synchronously.
      await yieldToEventLoop();
    }
    await pruneForecasts(db, new Date(now.getTime() - FORGET_AFTER_MS).toISOString());
    if (points.length > 0) {
      await sink
        .write(points)
        .catch((err: Error) => log.warn({ err: err.message }, 'forecast points not written'));
    }
    return run;
  }

  /** The series of one host that a rule governs, with their samples over the rule's window. */
  private async candidates(
    agent: AgentTable,
    rules: readonly ForecastRule[],
    now: number,
  ): Promise<Candidate[]> {
    const who = {
      tenant: agent.tenant_id,
      application: agent.application,
      environment: agent.environment,
      host: agent.host,
    };
    const admitted = rules.filter((r) => ruleAdmitsHost(r, who));
    // One read per (type, field), over the longest window of the rules that need it.
    const windows = new Map<string, { type: string; field: string; windowMs: number }>();
    for (const r of admitted) {
      for (const field of [r.metric, r.limitMetric]) {
        if (field === undefined) continue;
        const k = `${r.type}\u0000${field}`;
        const w = windows.get(k);
        windows.set(k, { type: r.type, field, windowMs: Math.max(w?.windowMs ?? 0, r.windowMs) });
      }
    }
    const history = new Map<string, Map<string, SeriesPoint[]>>();
    for (const [k, w] of windows) {
      // pass() returns early when the sink cannot query.
      const found = await this.deps.sink.query!({
        tenant: agent.tenant_id,
        host: agent.host,
        measurement: measurementFor(w.type),
        field: w.field,
        sinceMs: now - w.windowMs,
        untilMs: now,
        limit: MAX_HISTORY_POINTS,
      });
      const bySeries = new Map<string, SeriesPoint[]>();
      for (const p of found) {
        const sk = seriesKey(p.check, p.instance);
        const list = bySeries.get(sk) ?? [];
        list.push(p);
        bySeries.set(sk, list);
      }
      history.set(k, bySeries);
    }
    const out: Candidate[] = [];
    const seen = new Set<string>();
    for (const r of admitted) {
      if (seen.has(`${r.type}\u0000${r.metric}`)) continue;
      seen.add(`${r.type}\u0000${r.metric}`);
      for (const series of history.get(`${r.type}\u0000${r.metric}`)?.values() ?? []) {
        const first = series[0] as SeriesPoint;
        const scope: SeriesScope = { ...who, check: first.check, instance: first.instance };
        const rule = ruleFor(rules, r.type, r.metric, scope);
        if (!rule) continue;
        const samples = rule.limitMetric
          ? margin(
              series,
              history.get(`${r.type}\u0000${rule.limitMetric}`)?.get(seriesKey(first.check, first.instance)),
            )
          : series.map((p) => ({ t: p.time, v: p.value }));
        const metric = first.instance === undefined ? r.metric : `${r.metric}@${first.instance}`;
        out.push({ scope, type: r.type, metric, rule, samples });
      }
    }
    return out;
  }

  /** Saves the forecast row and syncs the ticket, in one transaction. */
  private async record(c: Candidate, forecast: SeriesForecast): Promise<ForecastTicketEffect | undefined> {
    const { db } = this.deps;
    const subject: ForecastSubject = {
      ...c.scope,
      metric: c.metric,
      rule: c.rule,
      label: labelFor(c.rule, c.scope),
      forecast,
    };
    return db.transaction().execute(async (trx) => {
      const key = {
        tenant_id: c.scope.tenant,
        host: c.scope.host,
        check_id: c.scope.check,
        metric: c.metric,
      };
      const before = await getForecast(trx, key);
      const { effect, memory } = await syncForecastTicket(trx, subject, before, this.deps);
      await saveForecast(trx, forecastRow(subject, c.type, this.deps.now(), memory));
      return effect;
    });
  }
}

/** metric − limitMetric at the times both were reported (the same result). */
function margin(values: readonly SeriesPoint[], limits: readonly SeriesPoint[] | undefined): Sample[] {
  const at = new Map((limits ?? []).map((p) => [p.time, p.value]));
  const out: Sample[] = [];
  for (const p of values) {
    const l = at.get(p.time);
    if (l !== undefined) out.push({ t: p.time, v: p.value - l });
  }
  return out;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function forecastRow(
  s: ForecastSubject,
  type: string,
  now: Date,
  memory: { ticketId: string | null; notedPredictedAt: string | null; clearRuns: number },
): ForecastTable {
  const f = s.forecast;
  return {
    tenant_id: s.tenant,
    host: s.host,
    check_id: s.check,
    metric: s.metric,
    rule_id: s.rule.id,
    application: s.application,
    environment: s.environment,
    type,
    instance: s.instance ?? '',
    verdict: f.verdict,
    reason: f.reason,
    slope_per_second: f.fit?.slopePerSecond ?? null,
    value_at: f.fit?.valueAt ?? null,
    fit_at: iso(f.fit?.at),
    fit_from: iso(f.fit?.from),
    points: f.fit?.points ?? 0,
    quality: f.fit?.quality ?? null,
    window_seconds: s.rule.windowMs / 1000,
    value: f.value ?? null,
    limit_value: f.limit ?? null,
    limit_metric: s.rule.limitMetric ?? null,
    direction: s.rule.direction,
    predicted_at: iso(f.predictedAt),
    seconds: f.seconds ?? null,
    growth_percent: f.growthPercent ?? null,
    evaluated_at: now.toISOString(),
    ticket_id: memory.ticketId,
    noted_predicted_at: memory.notedPredictedAt,
    clear_runs: memory.clearRuns,
  };
}

/** The `vigie_forecast` point of one series: `seconds` to the crossing when one is predicted, and the fit. */
function forecastPoint(c: Candidate, f: SeriesForecast, now: number): MetricPoint {
  const fields: Record<string, number> = { at_risk: AT_RISK.includes(f.verdict) ? 1 : 0 };
  if (f.seconds !== undefined) fields.seconds = f.seconds;
  if (f.fit) {
    fields.slope_per_hour = f.fit.slopePerSecond * 3600;
    fields.quality = f.fit.quality;
    fields.points = f.fit.points;
  }
  const tags: Record<string, string> = {
    tenant: c.scope.tenant,
    application: c.scope.application,
    environment: c.scope.environment,
    host: c.scope.host,
    check: c.scope.check,
    metric: c.metric.split('@')[0] as string,
    rule: c.rule.id,
  };
  if (c.scope.instance !== undefined) tags.instance = c.scope.instance;
  return { measurement: FORECAST_MEASUREMENT, tags, fields, time: now };
}
