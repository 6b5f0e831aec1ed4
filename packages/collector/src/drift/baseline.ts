// Baselines: an operator approves one snapshot of a host as its reference; later snapshots are compared with it
// and each difference is reported with its value before and after, and since when the new state is seen.
import type { Db } from '../store/open.js';
import { driftDb } from './migration.js';
import { displayValue, protectValue } from './rules.js';
import { findSnapshot, latestHostSnapshot, loadHostState, resolveItems } from './snapshots.js';

/** A requested snapshot or baseline that does not exist. */
export class DriftNotFound extends Error {
  constructor(
    readonly code: 'no_snapshot' | 'snapshot_not_found' | 'no_baseline',
    message: string,
  ) {
    super(message);
    this.name = 'DriftNotFound';
  }
}

export interface BaselineInfo {
  host: string;
  snapshotId: string;
  /** When the approved snapshot was taken. */
  takenAt: string;
  approvedAt: string;
  approvedBy: string;
  /** Items in the baseline. */
  items: number;
}

export interface BaselineDifference {
  item: string;
  /** The baseline value as it may be shown (secrets truncated or hidden); null: not in the baseline. */
  before: string | null;
  /** The current value, shown the same way; null: no longer there. */
  after: string | null;
  /** Since when the current value (or the absence) is seen on the host. */
  firstSeenAt: string;
  change: 'changed' | 'added' | 'removed';
}

export interface BaselineDrift {
  host: string;
  baseline: BaselineInfo;
  /** The latest snapshot the current items come from. */
  current: { snapshotId: string; takenAt: string };
  differences: BaselineDifference[];
}

/**
 * Approves a snapshot of the host (its latest when `snapshotId` is not given) as its baseline, replacing the
 * previous one. The baseline keeps the host's whole item set as of that snapshot (every drift check).
 */
export async function approveBaseline(
  db: Db,
  params: { tenantId: string; host: string; snapshotId?: string; approvedBy: string; now: Date },
): Promise<BaselineInfo> {
  const { tenantId, host } = params;
  const snapshot =
    params.snapshotId === undefined
      ? await latestHostSnapshot(db, tenantId, host)
      : await findSnapshot(db, tenantId, host, params.snapshotId);
  if (!snapshot) {
    throw params.snapshotId === undefined
      ? new DriftNotFound('no_snapshot', `host ${host} has sent no snapshot yet`)
      : new DriftNotFound('snapshot_not_found', `no snapshot ${params.snapshotId} of host ${host}`);
  }
  const resolved = await resolveItems(db, tenantId, host, snapshot.taken_at);
  const items = resolved?.items ?? new Map<string, string>();
  const row = {
    tenant_id: tenantId,
    host,
    snapshot_id: snapshot.id,
    taken_at: snapshot.taken_at,
    approved_at: params.now.toISOString(),
    approved_by: params.approvedBy,
    items: JSON.stringify(Object.fromEntries([...items].map(([k, v]) => [k, protectValue(k, v)]))),
  };
  await driftDb(db)
    .insertInto('drift_baselines')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'host']).doUpdateSet({
        snapshot_id: row.snapshot_id,
        taken_at: row.taken_at,
        approved_at: row.approved_at,
        approved_by: row.approved_by,
        items: row.items,
      }),
    )
    .execute();
  return {
    host,
    snapshotId: row.snapshot_id,
    takenAt: row.taken_at,
    approvedAt: row.approved_at,
    approvedBy: row.approved_by,
    items: items.size,
  };
}

async function baselineRow(db: Db, tenantId: string, host: string) {
  return driftDb(db)
    .selectFrom('drift_baselines')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('host', '=', host)
    .executeTakeFirst();
}

export async function getBaseline(db: Db, tenantId: string, host: string): Promise<BaselineInfo | undefined> {
  const row = await baselineRow(db, tenantId, host);
  if (!row) return undefined;
  return {
    host,
    snapshotId: row.snapshot_id,
    takenAt: row.taken_at,
    approvedAt: row.approved_at,
    approvedBy: row.approved_by,
    items: Object.keys(JSON.parse(row.items) as Record<string, string>).length,
  };
}

/**
 * What differs between the host's baseline and its current items, sorted by item. undefined: no baseline.
 * Values are shown as in the parity report: never a secret in clear.
 */
export async function baselineDrift(
  db: Db,
  tenantId: string,
  host: string,
): Promise<BaselineDrift | undefined> {
  const row = await baselineRow(db, tenantId, host);
  if (!row) return undefined;
  const before = new Map(Object.entries(JSON.parse(row.items) as Record<string, string>));
  const state = await loadHostState(db, tenantId, host);
  const after = new Map([...(state?.items ?? [])].map(([k, v]) => [k, protectValue(k, v)]));
  const seen = (item: string) => state?.firstSeen(item) ?? state?.takenAt ?? row.taken_at;
  const differences: BaselineDifference[] = [];
  for (const item of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(item);
    const a = after.get(item);
    if (a === b) continue;
    differences.push({
      item,
      before: displayValue(item, b),
      after: displayValue(item, a),
      firstSeenAt: seen(item),
      change: b === undefined ? 'added' : a === undefined ? 'removed' : 'changed',
    });
  }
  differences.sort((x, y) => (x.item < y.item ? -1 : x.item > y.item ? 1 : 0));
  return {
    host,
    baseline: {
      host,
      snapshotId: row.snapshot_id,
      takenAt: row.taken_at,
      approvedAt: row.approved_at,
      approvedBy: row.approved_by,
      items: before.size,
    },
    current: {
      snapshotId: state?.snapshotId ?? row.snapshot_id,
      takenAt: state?.takenAt ?? row.taken_at,
    },
    differences,
  };
}
