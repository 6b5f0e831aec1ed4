// Stage: drop results already handled (replays after a reconnect), so their metrics are not written twice.

import type { Db } from '../store/open.js';
import { seenResultIds } from '../store/results.js';
import type { IngestBatch, Stage } from './pipeline.js';

export class DedupeStage implements Stage {
  readonly name = 'dedupe';
  constructor(private readonly db: Db) {}

  async run(batch: IngestBatch): Promise<void> {
    // The same id twice in one batch counts once.
    const ids = new Set<string>();
    const unique = batch.results.filter((r) => {
      if (ids.has(r.id)) return false;
      ids.add(r.id);
      return true;
    });
    const seen = await seenResultIds(this.db, [...ids]);
    batch.fresh = unique.filter((r) => !seen.has(r.id));
    batch.duplicates = batch.results.length - batch.fresh.length;
  }
}
