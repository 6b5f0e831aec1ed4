// Reads `restic snapshots --json`: a flat list of snapshots, or groups of them with --group-by.
export interface ResticSnapshot {
  id: string;
  shortId: string;
  timeMs: number;
  hostname: string;
  /** From the snapshot's `summary` (restic 0.17 and later); undefined for older snapshots. */
  files: number | undefined;
  bytes: number | undefined;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const finite = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** The snapshots of the JSON restic printed; throws when it is not a snapshot list. */
export function parseSnapshots(json: string): ResticSnapshot[] {
  const data: unknown = JSON.parse(json);
  if (!Array.isArray(data)) throw new Error('restic snapshots --json did not print a list');
  // With --group-by, each item is { group_key, snapshots: [...] }.
  const items = data.flatMap((item: unknown) =>
    isObject(item) && Array.isArray(item.snapshots) ? (item.snapshots as unknown[]) : [item],
  );
  return items.map((item, index) => {
    if (!isObject(item) || typeof item.time !== 'string' || typeof item.id !== 'string') {
      throw new Error(`snapshot ${index + 1} has no id or time`);
    }
    const timeMs = Date.parse(item.time);
    if (Number.isNaN(timeMs)) throw new Error(`snapshot ${index + 1} has an unreadable time`);
    const summary = isObject(item.summary) ? item.summary : {};
    return {
      id: item.id,
      shortId: typeof item.short_id === 'string' ? item.short_id : item.id.slice(0, 8),
      timeMs,
      hostname: typeof item.hostname === 'string' ? item.hostname : '',
      files: finite(summary.total_files_processed),
      bytes: finite(summary.total_bytes_processed),
    };
  });
}

/** The snapshot taken last (restic prints them oldest first, but groups break that order). */
export function latestSnapshot(snapshots: readonly ResticSnapshot[]): ResticSnapshot | undefined {
  let latest: ResticSnapshot | undefined;
  for (const snapshot of snapshots)
    if (latest === undefined || snapshot.timeMs > latest.timeMs) latest = snapshot;
  return latest;
}
