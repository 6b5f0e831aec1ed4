// Per-application ignore patterns of the parity report, applied on top of the default ones (rules.ts).
import type { Db } from '../store/open.js';
import { driftDb } from './migration.js';
import { DEFAULT_IGNORE } from './rules.js';

export interface IgnoreSettings {
  application: string;
  /** Always applied: host names and addresses. */
  defaults: string[];
  /** The application's own patterns. */
  patterns: string[];
  /** Both: what the report ignores. */
  effective: string[];
  updatedAt: string | null;
  updatedBy: string | null;
}

function settings(
  application: string,
  patterns: string[],
  updatedAt: string | null,
  updatedBy: string | null,
): IgnoreSettings {
  const effective = [...new Set([...DEFAULT_IGNORE, ...patterns])];
  return { application, defaults: [...DEFAULT_IGNORE], patterns, effective, updatedAt, updatedBy };
}

export async function getIgnoreSettings(
  db: Db,
  tenantId: string,
  application: string,
): Promise<IgnoreSettings> {
  const row = await driftDb(db)
    .selectFrom('drift_parity_ignores')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('application', '=', application)
    .executeTakeFirst();
  if (!row) return settings(application, [], null, null);
  return settings(application, JSON.parse(row.patterns) as string[], row.updated_at, row.updated_by);
}

/** Replaces the application's own patterns (trimmed, blanks and duplicates dropped). */
export async function setIgnorePatterns(
  db: Db,
  params: { tenantId: string; application: string; patterns: readonly string[]; by: string; now: Date },
): Promise<IgnoreSettings> {
  const patterns = [...new Set(params.patterns.map((p) => p.trim()).filter((p) => p !== ''))];
  const row = {
    tenant_id: params.tenantId,
    application: params.application,
    patterns: JSON.stringify(patterns),
    updated_at: params.now.toISOString(),
    updated_by: params.by,
  };
  await driftDb(db)
    .insertInto('drift_parity_ignores')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'application']).doUpdateSet({
        patterns: row.patterns,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
      }),
    )
    .execute();
  return settings(params.application, patterns, row.updated_at, row.updated_by);
}
