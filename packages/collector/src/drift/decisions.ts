// Review of a parity report by the provider: an item can be ignored for an environment (never compared
// again), or its current difference accepted (it stops breaking parity while both values stay as they were
// when accepted; a new value brings it back). Who decided and when is kept and shown.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Db } from '../store/open.js';
import type { Database } from '../store/schema.js';
import { emptyCounts, type ParityDifference, type ParityReport } from './parity.js';

export type Decision = 'ignore' | 'accept';

export interface ParityDecisionTable {
  tenant_id: string;
  application: string;
  environment: string;
  item: string;
  decision: string;
  /** SHA-256 of the production and other values (as shown) when accepted; null for an ignore. */
  production_sha256: string | null;
  other_sha256: string | null;
  decided_by: string;
  decided_at: string;
}

type DecisionTables = { parity_decisions: ParityDecisionTable };
const decisionsDb = (db: Db): Kysely<Database & DecisionTables> => db.withTables<DecisionTables>();

export interface ReviewedDifference extends ParityDifference {
  decision: Decision;
  decidedBy: string;
  decidedAt: string;
}

export function valueDigest(value: string | null): string | null {
  return value === null ? null : createHash('sha256').update(value).digest('hex');
}

export async function listDecisions(
  db: Db,
  tenantId: string,
  application: string,
): Promise<ParityDecisionTable[]> {
  return decisionsDb(db)
    .selectFrom('parity_decisions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('application', '=', application)
    .execute();
}

export async function recordDecision(db: Db, row: ParityDecisionTable): Promise<void> {
  await decisionsDb(db)
    .insertInto('parity_decisions')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'application', 'environment', 'item']).doUpdateSet({
        decision: row.decision,
        production_sha256: row.production_sha256,
        other_sha256: row.other_sha256,
        decided_by: row.decided_by,
        decided_at: row.decided_at,
      }),
    )
    .execute();
}

export async function removeDecision(
  db: Db,
  key: { tenantId: string; application: string; environment: string; item: string },
): Promise<boolean> {
  const r = await decisionsDb(db)
    .deleteFrom('parity_decisions')
    .where('tenant_id', '=', key.tenantId)
    .where('application', '=', key.application)
    .where('environment', '=', key.environment)
    .where('item', '=', key.item)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Moves the decided differences of each comparison to `reviewed` and counts the rest again. */
export function applyDecisions(
  report: ParityReport,
  decisions: readonly ParityDecisionTable[],
): ParityReport {
  const byKey = new Map(decisions.map((d) => [`${d.environment}\u0000${d.item}`, d]));
  return {
    ...report,
    comparisons: report.comparisons.map((c) => {
      const kept: ParityDifference[] = [];
      const reviewed: ReviewedDifference[] = [];
      for (const d of c.differences) {
        const decision = byKey.get(`${c.environment}\u0000${d.item}`);
        const applies =
          decision !== undefined &&
          (decision.decision === 'ignore' ||
            (decision.production_sha256 === valueDigest(d.production) &&
              decision.other_sha256 === valueDigest(d.other)));
        if (!decision || !applies) {
          kept.push(d);
          continue;
        }
        reviewed.push({
          ...d,
          decision: decision.decision as Decision,
          decidedBy: decision.decided_by,
          decidedAt: decision.decided_at,
        });
      }
      const counts = emptyCounts();
      for (const d of kept) counts[d.severity]++;
      return {
        ...c,
        differences: kept,
        counts,
        atParity: counts.critical === 0 && counts.warning === 0,
        reviewed,
      };
    }),
  };
}
