// The forecast table (registered as migration 0010_forecasts): the latest forecast of every series a rule
// governs, with the fit behind it and the forecast ticket it drives. Ticket history stays in `tickets` and
// `ticket_events` (kind `forecast`).
import type { Kysely, Migration } from 'kysely';
import type { Db } from '../store/open.js';
import type { Database } from '../store/schema.js';

export interface ForecastTable {
  tenant_id: string;
  host: string;
  check_id: string;
  /** The forecast metric: `field` or `field@instance`. */
  metric: string;
  rule_id: string;
  application: string;
  environment: string;
  /** The check type (its measurement holds the series). */
  type: string;
  /** '' when the metric has no instance. */
  instance: string;
  /** See forecast.ts `Verdict`. */
  verdict: string;
  reason: string;
  slope_per_second: number | null;
  /** The fitted value at `fit_at`. */
  value_at: number | null;
  fit_at: string | null;
  fit_from: string | null;
  points: number;
  quality: number | null;
  window_seconds: number;
  /** The last observed value of the forecast series (the margin for a `limit_metric` rule). */
  value: number | null;
  limit_value: number | null;
  limit_metric: string | null;
  direction: string;
  predicted_at: string | null;
  seconds: number | null;
  growth_percent: number | null;
  evaluated_at: string;
  /** The forecast ticket this series drives (open or last), if any. */
  ticket_id: string | null;
  /** The predicted time last written to the ticket's timeline, to note only material moves. */
  noted_predicted_at: string | null;
  /** Consecutive evaluations without risk while the ticket is open (it resolves at 2). */
  clear_runs: number;
}

/** A type, not an interface: Kysely's `withTables` needs an indexable map of tables. */
export type ForecastTables = { forecasts: ForecastTable };
export type ForecastDb = Kysely<Database & ForecastTables>;

export function forecastDb(db: Db): ForecastDb {
  return db.withTables<ForecastTables>();
}

export const forecastMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const num = 'double precision';
    await db.schema
      .createTable('forecasts')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('check_id', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('application', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('instance', 'text', (c) => c.notNull())
      .addColumn('verdict', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('slope_per_second', num)
      .addColumn('value_at', num)
      .addColumn('fit_at', 'text')
      .addColumn('fit_from', 'text')
      .addColumn('points', 'integer', (c) => c.notNull())
      .addColumn('quality', num)
      .addColumn('window_seconds', num, (c) => c.notNull())
      .addColumn('value', num)
      .addColumn('limit_value', num)
      .addColumn('limit_metric', 'text')
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('predicted_at', 'text')
      .addColumn('seconds', num)
      .addColumn('growth_percent', num)
      .addColumn('evaluated_at', 'text', (c) => c.notNull())
      .addColumn('ticket_id', 'text')
      .addColumn('noted_predicted_at', 'text')
      .addColumn('clear_runs', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('forecasts_pk', ['tenant_id', 'host', 'check_id', 'metric'])
      .execute();
    await db.schema
      .createIndex('forecasts_tenant_verdict')
      .on('forecasts')
      .columns(['tenant_id', 'verdict'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('forecasts').execute();
  },
};
