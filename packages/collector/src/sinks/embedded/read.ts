// Reading the embedded store's file apart from the sink (client reports, tenant export and purge): its layout
// (sink.ts) is a `series` table (tenant, host, check), a `segments` catalog, and segment tables `seg_<id>` of
// rows (series, ts, data) where data packs the points of one check run as [measurement, instance, fields].
import type SQLite from 'better-sqlite3';

export interface StoredPoint {
  host: string;
  check: string;
  measurement: string;
  /** '' for none. */
  instance: string;
  fields: Record<string, number>;
  time: number;
}

type Packed = [string, string, Record<string, number>];

/** Whether the file has the segment layout (an empty or foreign file has not). */
export function hasSegments(db: SQLite.Database): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'segments'").get() !== undefined
  );
}

function tenantSeries(db: SQLite.Database, tenant: string): Map<number, { host: string; check: string }> {
  const rows = db.prepare('SELECT id, host, check_id FROM series WHERE tenant = ?').all(tenant) as Array<{
    id: number;
    host: string;
    check_id: string;
  }>;
  return new Map(rows.map((r) => [r.id, { host: r.host, check: r.check_id }]));
}

function segmentIds(db: SQLite.Database, fromMs: number, toMs: number): number[] {
  return (
    db
      .prepare('SELECT id FROM segments WHERE max_ts >= ? AND min_ts < ? ORDER BY id')
      .all(fromMs, toMs) as Array<{
      id: number;
    }>
  ).map((r) => r.id);
}

/**
 * Every point of the tenant in [fromMs, toMs), segment by segment (a point replayed into a later segment comes
 * once: the latest copy), in batches of about `batch` rows.
 */
export function* tenantPoints(
  db: SQLite.Database,
  tenant: string,
  fromMs = Number.MIN_SAFE_INTEGER,
  toMs = Number.MAX_SAFE_INTEGER,
): Generator<StoredPoint> {
  if (!hasSegments(db)) return;
  const series = tenantSeries(db, tenant);
  if (series.size === 0) return;
  const ids = [...series.keys()];
  const rows = new Map<string, { series: number; ts: number; data: string }>();
  for (const seg of segmentIds(db, fromMs, toMs)) {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const found = db
        .prepare(
          `SELECT series, ts, data FROM seg_${seg} WHERE series IN (${chunk.map(() => '?').join(', ')}) AND ts >= ? AND ts < ?`,
        )
        .all(...chunk, fromMs, toMs) as Array<{ series: number; ts: number; data: string }>;
      for (const r of found) rows.set(`${r.series}:${r.ts}`, r);
    }
  }
  for (const r of rows.values()) {
    const s = series.get(r.series);
    if (!s) continue;
    for (const [measurement, instance, fields] of JSON.parse(r.data) as Packed[]) {
      yield { host: s.host, check: s.check, measurement, instance, fields, time: r.ts };
    }
  }
}

/** Deletes every row of the tenant from every segment, and its series; returns the points removed. */
export function deleteTenant(db: SQLite.Database, tenant: string): number {
  if (!hasSegments(db)) return 0;
  let points = 0;
  for (const _ of tenantPoints(db, tenant)) points++;
  const series = [...tenantSeries(db, tenant).keys()];
  db.transaction(() => {
    const segs = db.prepare('SELECT id FROM segments').all() as Array<{ id: number }>;
    for (let i = 0; i < series.length; i += 500) {
      const chunk = series.slice(i, i + 500);
      const list = chunk.map(() => '?').join(', ');
      for (const { id } of segs) db.prepare(`DELETE FROM seg_${id} WHERE series IN (${list})`).run(...chunk);
      db.prepare(`DELETE FROM series WHERE id IN (${list})`).run(...chunk);
    }
  })();
  return points;
}
