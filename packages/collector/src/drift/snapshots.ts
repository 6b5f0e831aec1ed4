// A host's snapshots: its current item set resolved from the stored snapshots (per drift check, the latest full
// snapshot then the later deltas in order), its history, and since when each item holds its current value.
import { createHash } from 'node:crypto';
import type { Db } from '../store/open.js';
import type { DriftSnapshotTable } from '../store/schema.js';
import { type DriftItemSeenTable, driftDb } from './migration.js';

/** The items of one stored snapshot: a full fingerprint, or a delta (changed or added items, removed keys). */
export interface SnapshotItems {
  items: Map<string, string>;
  removed: string[];
}

/**
 * The `items` column for a snapshot message. A full snapshot is stored as its items object (what the ingest
 * gateway stores today); a delta as `{"items": {...}, "removed": [...]}`, so its removed keys are kept.
 */
export function encodeSnapshotItems(msg: {
  full: boolean;
  items: Record<string, string>;
  removed: readonly string[];
}): string {
  if (msg.full || msg.removed.length === 0) return JSON.stringify(msg.items);
  return JSON.stringify({ items: msg.items, removed: msg.removed });
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Reads an `items` column: a plain items object (all values are strings), or the delta envelope above. */
export function decodeSnapshotItems(text: string): SnapshotItems {
  const parsed: unknown = JSON.parse(text);
  if (!isRecord(parsed)) throw new Error('snapshot items are not a JSON object');
  const envelope = isRecord(parsed.items) && Array.isArray(parsed.removed);
  const source = envelope ? (parsed.items as Record<string, unknown>) : parsed;
  const items = new Map<string, string>();
  for (const [k, v] of Object.entries(source)) if (typeof v === 'string') items.set(k, v);
  const removed = envelope
    ? (parsed.removed as unknown[]).filter((k): k is string => typeof k === 'string')
    : [];
  return { items, removed };
}

/** Applies one snapshot to a check's state: a full snapshot replaces it, a delta patches it. */
export function applySnapshot(
  state: Map<string, string> | undefined,
  full: boolean,
  snapshot: SnapshotItems,
): Map<string, string> {
  if (full) return new Map(snapshot.items);
  const next = new Map(state ?? []);
  for (const [k, v] of snapshot.items) next.set(k, v);
  for (const k of snapshot.removed) next.delete(k);
  return next;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Snapshot order: taken, then received, then id (times are ISO-8601 UTC text, as the store keeps them). */
function bySnapshotOrder(a: DriftSnapshotTable, b: DriftSnapshotTable): number {
  return cmp(a.taken_at, b.taken_at) || cmp(a.received_at, b.received_at) || cmp(a.id, b.id);
}

export interface ResolvedItems {
  items: Map<string, string>;
  /** The latest snapshot applied. */
  snapshotId: string;
  takenAt: string;
  /** Drift checks with deltas but no full snapshot yet: their items may be incomplete. */
  incomplete: string[];
}

/**
 * The host's whole item set, now or as of a snapshot time (`asOf`: its `taken_at`, included). Each drift check
 * of the host contributes its own items: its latest full snapshot, then its later deltas in order. If two
 * checks report the same item, the check whose latest snapshot is newer wins. undefined: no snapshot.
 */
export async function resolveItems(
  db: Db,
  tenantId: string,
  host: string,
  asOf?: string,
): Promise<ResolvedItems | undefined> {
  let base = db.selectFrom('drift_snapshots').where('tenant_id', '=', tenantId).where('host', '=', host);
  if (asOf !== undefined) base = base.where('taken_at', '<=', asOf);
  const checks = await base.select('check_id').distinct().execute();
  if (checks.length === 0) return undefined;
  const lastFull = new Map(
    (
      await base
        .where('full', '=', 1)
        .select((eb) => ['check_id', eb.fn.max('taken_at').as('last_full')])
        .groupBy('check_id')
        .execute()
    ).map((r) => [r.check_id, String(r.last_full)]),
  );
  const perCheck: Array<{ checkId: string; items: Map<string, string>; last: DriftSnapshotTable }> = [];
  const incomplete: string[] = [];
  for (const { check_id: checkId } of checks) {
    let q = base.selectAll().where('check_id', '=', checkId);
    const from = lastFull.get(checkId);
    if (from !== undefined) q = q.where('taken_at', '>=', from);
    else incomplete.push(checkId);
    const rows = (await q.execute()).sort(bySnapshotOrder);
    let state: Map<string, string> | undefined;
    for (const row of rows) state = applySnapshot(state, row.full === 1, decodeSnapshotItems(row.items));
    const last = rows.at(-1);
    if (last && state) perCheck.push({ checkId, items: state, last });
  }
  perCheck.sort((a, b) => bySnapshotOrder(a.last, b.last));
  const items = new Map<string, string>();
  for (const c of perCheck) for (const [k, v] of c.items) items.set(k, v);
  const latest = perCheck.at(-1);
  if (!latest) return undefined;
  return {
    items,
    snapshotId: latest.last.id,
    takenAt: latest.last.taken_at,
    incomplete: incomplete.sort(),
  };
}

/** One stored snapshot of the host, by its stored id (`<tenant>:<snapshotId>`) or the agent's snapshot id. */
export async function findSnapshot(
  db: Db,
  tenantId: string,
  host: string,
  id: string,
): Promise<DriftSnapshotTable | undefined> {
  return db
    .selectFrom('drift_snapshots')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('host', '=', host)
    .where('id', 'in', [id, `${tenantId}:${id}`])
    .executeTakeFirst();
}

/** The host's latest snapshot (any drift check). */
export async function latestHostSnapshot(
  db: Db,
  tenantId: string,
  host: string,
): Promise<DriftSnapshotTable | undefined> {
  return db
    .selectFrom('drift_snapshots')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('host', '=', host)
    .orderBy('taken_at', 'desc')
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export interface SnapshotChanges {
  added: number;
  changed: number;
  removed: number;
  /** The keys that changed (at most 50, sorted); values are not listed here. */
  items: string[];
}

export interface SnapshotSummary {
  id: string;
  checkId: string;
  takenAt: string;
  receivedAt: string;
  full: boolean;
  /** Items carried by the snapshot (the whole fingerprint, or the changed items of a delta). */
  items: number;
  /** Keys a delta removed. */
  removed: number;
  /** What it changed in its check's item set; null when the earlier state is outside the listed window. */
  changes: SnapshotChanges | null;
}

function diffKeys(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): SnapshotChanges {
  const keys: string[] = [];
  let added = 0;
  let changed = 0;
  let removed = 0;
  for (const [k, v] of after) {
    const old = before.get(k);
    if (old === undefined) added++;
    else if (old !== v) changed++;
    else continue;
    keys.push(k);
  }
  for (const k of before.keys()) {
    if (after.has(k)) continue;
    removed++;
    keys.push(k);
  }
  return { added, changed, removed, items: keys.sort().slice(0, 50) };
}

/** The host's snapshot history, newest first, with what each one changed. */
export async function listSnapshots(
  db: Db,
  tenantId: string,
  host: string,
  limit = 50,
): Promise<SnapshotSummary[]> {
  const rows = (
    await db
      .selectFrom('drift_snapshots')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('host', '=', host)
      .orderBy('taken_at', 'desc')
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute()
  ).sort(bySnapshotOrder);
  const state = new Map<string, Map<string, string>>();
  const out: SnapshotSummary[] = [];
  for (const row of rows) {
    const snap = decodeSnapshotItems(row.items);
    const full = row.full === 1;
    const before = state.get(row.check_id);
    let changes: SnapshotChanges | null = null;
    if (before || full) {
      const after = applySnapshot(before, full, snap);
      if (before) changes = diffKeys(before, after);
      state.set(row.check_id, after);
    }
    out.push({
      id: row.id,
      checkId: row.check_id,
      takenAt: row.taken_at,
      receivedAt: row.received_at,
      full,
      items: snap.items.size,
      removed: snap.removed.length,
      changes,
    });
  }
  return out.reverse();
}

// ---- first seen ----

export function valueDigest(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

type SeenRow = Pick<DriftItemSeenTable, 'item' | 'value_sha256' | 'first_seen_at'>;

async function seenRows(db: Db, tenantId: string, host: string): Promise<SeenRow[]> {
  return driftDb(db)
    .selectFrom('drift_items_seen')
    .select(['item', 'value_sha256', 'first_seen_at'])
    .where('tenant_id', '=', tenantId)
    .where('host', '=', host)
    .execute();
}

/**
 * Records since when each item of the host holds its value: an item whose value changed (or that appeared)
 * gets `at` (the time of the snapshot that showed it), an item that disappeared is recorded as absent since
 * `at`; unchanged items keep their time. Call it with the host's resolved item set after each snapshot.
 * Returns the number of rows written.
 */
export async function recordItemsSeen(
  db: Db,
  tenantId: string,
  host: string,
  items: ReadonlyMap<string, string>,
  at: string,
): Promise<number> {
  const existing = new Map((await seenRows(db, tenantId, host)).map((r) => [r.item, r]));
  const writes: DriftItemSeenTable[] = [];
  const put = (item: string, value_sha256: string | null) => {
    const row = existing.get(item);
    if (row && (row.value_sha256 === value_sha256 || row.first_seen_at > at)) return;
    writes.push({ tenant_id: tenantId, host, item, value_sha256, first_seen_at: at });
  };
  for (const [item, value] of items) put(item, valueDigest(value));
  for (const row of existing.values())
    if (row.value_sha256 !== null && !items.has(row.item)) put(row.item, null);
  for (let i = 0; i < writes.length; i += 200) {
    await driftDb(db)
      .insertInto('drift_items_seen')
      .values(writes.slice(i, i + 200))
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'host', 'item']).doUpdateSet((eb) => ({
          value_sha256: eb.ref('excluded.value_sha256'),
          first_seen_at: eb.ref('excluded.first_seen_at'),
        })),
      )
      .execute();
  }
  return writes.length;
}

/** A host's current items, with since when each one (or its absence) is as it is. */
export interface HostState {
  host: string;
  items: ReadonlyMap<string, string>;
  snapshotId: string;
  takenAt: string;
  /**
   * When the item's current value was first seen on this host (for an absent item: since when it is absent);
   * undefined when unknown (never recorded, or recorded for another value).
   */
  firstSeen(item: string): string | undefined;
}

/** The host's resolved items and first-seen times; undefined when the host sent no snapshot. */
export async function loadHostState(db: Db, tenantId: string, host: string): Promise<HostState | undefined> {
  const resolved = await resolveItems(db, tenantId, host);
  if (!resolved) return undefined;
  const seen = new Map((await seenRows(db, tenantId, host)).map((r) => [r.item, r]));
  const items = resolved.items;
  return {
    host,
    items,
    snapshotId: resolved.snapshotId,
    takenAt: resolved.takenAt,
    firstSeen(item) {
      const row = seen.get(item);
      if (!row) return undefined;
      const value = items.get(item);
      const digest = value === undefined ? null : valueDigest(value);
      return row.value_sha256 === digest ? row.first_seen_at : undefined;
    },
  };
}
