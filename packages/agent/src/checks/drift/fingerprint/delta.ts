// What changed between two fingerprints, so a run can send its changes instead of the whole fingerprint.

export type SnapshotItems = Readonly<Record<string, string>>;

/** The shape of a `drift.snapshot` with `full: false`: items added or changed, and the keys that disappeared. */
export interface SnapshotDelta {
  items: Record<string, string>;
  removed: string[];
}

/**
 * `items` holds every key of `current` that `previous` lacks or holds with another value; `removed` every
 * key of `previous` that `current` lacks, sorted. Applying the result to `previous` gives `current` back.
 */
export function diffSnapshot(previous: SnapshotItems, current: SnapshotItems): SnapshotDelta {
  const changed: [string, string][] = [];
  for (const [key, value] of Object.entries(current)) {
    if (!Object.hasOwn(previous, key) || previous[key] !== value) changed.push([key, value]);
  }
  const removed = Object.keys(previous)
    .filter((key) => !Object.hasOwn(current, key))
    .sort();
  return { items: Object.fromEntries(changed), removed };
}

/** The fingerprint a receiver holds after a delta: `previous` with `removed` dropped and `items` set. */
export function applySnapshotDelta(previous: SnapshotItems, delta: SnapshotDelta): Record<string, string> {
  const gone = new Set(delta.removed);
  const kept = Object.entries(previous).filter(([key]) => !gone.has(key));
  return Object.fromEntries([...kept, ...Object.entries(delta.items)]);
}

/** True when nothing changed: a delta run may then send nothing at all. */
export function isEmptyDelta(delta: SnapshotDelta): boolean {
  return delta.removed.length === 0 && Object.keys(delta.items).length === 0;
}

/** How many items a delta touches (changed, added or removed). */
export function deltaSize(delta: SnapshotDelta): number {
  return Object.keys(delta.items).length + delta.removed.length;
}
