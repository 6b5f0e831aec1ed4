// Rows of the forecast table: one per (tenant, host, check, metric), replaced at every evaluation.
import { sql } from 'kysely';
import type { Db } from '../store/open.js';
import { type ForecastTable, forecastDb } from './migration.js';

export type ForecastKey = Pick<ForecastTable, 'tenant_id' | 'host' | 'check_id' | 'metric'>;

export async function getForecast(db: Db, key: ForecastKey): Promise<ForecastTable | undefined> {
  return forecastDb(db)
    .selectFrom('forecasts')
    .selectAll()
    .where('tenant_id', '=', key.tenant_id)
    .where('host', '=', key.host)
    .where('check_id', '=', key.check_id)
    .where('metric', '=', key.metric)
    .executeTakeFirst();
}

export async function saveForecast(db: Db, row: ForecastTable): Promise<void> {
  const { tenant_id: _t, host: _h, check_id: _c, metric: _m, ...rest } = row;
  await forecastDb(db)
    .insertInto('forecasts')
    .values(row)
    .onConflict((oc) => oc.columns(['tenant_id', 'host', 'check_id', 'metric']).doUpdateSet(rest))
    .execute();
}

export interface ForecastFilter {
  /** null: every tenant (a provider key). */
  tenantId: string | null;
  host?: string;
  check?: string;
  metric?: string;
  verdicts?: readonly string[];
  limit: number;
}

/** Forecasts, the soonest predicted crossing first, then those without one. */
export async function listForecasts(db: Db, f: ForecastFilter): Promise<ForecastTable[]> {
  let q = forecastDb(db).selectFrom('forecasts').selectAll();
  if (f.tenantId !== null) q = q.where('tenant_id', '=', f.tenantId);
  if (f.host !== undefined) q = q.where('host', '=', f.host);
  if (f.check !== undefined) q = q.where('check_id', '=', f.check);
  if (f.metric !== undefined) q = q.where('metric', '=', f.metric);
  if (f.verdicts?.length) q = q.where('verdict', 'in', f.verdicts);
  // NULLs last on both dialects (SQLite puts them first, PostgreSQL last); ISO times sort as text.
  return q
    .orderBy(sql`case when predicted_at is null then 1 else 0 end`)
    .orderBy('predicted_at')
    .orderBy('host')
    .orderBy('check_id')
    .orderBy('metric')
    .limit(f.limit)
    .execute();
}

/** Drops forecasts of series not evaluated since `before` (a removed mount, a retired rule or host). */
export async function pruneForecasts(db: Db, before: string): Promise<number> {
  const r = await forecastDb(db)
    .deleteFrom('forecasts')
    .where('evaluated_at', '<', before)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
