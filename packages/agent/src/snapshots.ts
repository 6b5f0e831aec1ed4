// Drift snapshots on the wire: the first fingerprint of a check after start (and one a day) goes in full, the
// following ones only as changes against the previous one, named by its id so the collector can tell when it
// lacks that base; then it asks, and the agent sends the full fingerprint again.
import type { DriftSnapshot } from '@vigie/shared';
import { diffSnapshot, isEmptyDelta } from './checks/drift/fingerprint/delta.js';

export type OutgoingSnapshot = Omit<DriftSnapshot, 'v' | 'type'>;

interface Last {
  snapshotId: string;
  items: Record<string, string>;
  fullAt: number;
}

export class SnapshotStream {
  private readonly last = new Map<string, Last>();

  constructor(private readonly deps: { newId: () => string; now: () => number; fullEveryMs?: number }) {}

  /** The snapshot to send for a new fingerprint, or undefined when nothing changed. */
  next(checkId: string, items: Record<string, string>, takenAt: string): OutgoingSnapshot | undefined {
    const prev = this.last.get(checkId);
    const now = this.deps.now();
    const snapshotId = this.deps.newId();
    if (!prev || now - prev.fullAt >= (this.deps.fullEveryMs ?? 86_400_000)) {
      this.last.set(checkId, { snapshotId, items, fullAt: now });
      return { snapshotId, checkId, takenAt, full: true, items, removed: [] };
    }
    const delta = diffSnapshot(prev.items, items);
    if (isEmptyDelta(delta)) return undefined;
    this.last.set(checkId, { snapshotId, items, fullAt: prev.fullAt });
    return { snapshotId, checkId, takenAt, full: false, baseSnapshotId: prev.snapshotId, ...delta };
  }

  /** The collector asked: the last fingerprint of the check, in full (undefined before its first run). */
  fullAgain(checkId: string, takenAt: string): OutgoingSnapshot | undefined {
    const prev = this.last.get(checkId);
    if (!prev) return undefined;
    const snapshotId = this.deps.newId();
    this.last.set(checkId, { snapshotId, items: prev.items, fullAt: this.deps.now() });
    return { snapshotId, checkId, takenAt, full: true, items: prev.items, removed: [] };
  }
}
