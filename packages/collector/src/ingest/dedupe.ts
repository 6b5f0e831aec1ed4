// Stage: drop results already handled (replays after a reconnect), so that neither their metrics nor their
// ticket effects count twice. Protocol 2 agents number their results within an outbox epoch: a result at or
// below the stream's high-water mark is a replay, which costs nothing per result in the store. Protocol 1
// agents are recognised by result id (one `seen_results` row per result, kept for `ingest.dedupeWindow`); so
// is the first batch of a stream the store never saw, since an agent upgraded from protocol 1 may resend the
// batch it had in flight under its new epoch.
import type { AcceptedResult, IncomingResult, IngestBatch, IngestGroup, Stage } from './pipeline.js';
import type { IngestStore } from './store/types.js';

function accepted(r: IncomingResult): AcceptedResult {
  return { result: r, at: 0, observedAt: r.observedAt, late: false };
}

export class DedupeStage implements Stage {
  readonly name = 'dedupe';
  constructor(private readonly store: IngestStore) {}

  async run(group: IngestGroup): Promise<void> {
    const byId: IngestBatch[] = [];
    for (const b of group.batches) {
      const epoch = b.session.epoch;
      if (epoch === undefined) {
        b.accepted = uniqueById(b.results).map(accepted);
        byId.push(b);
        continue;
      }
      let mark = b.host.streams.get(epoch) ?? 0;
      for (const r of b.results) {
        // Sequence numbers only grow along an outbox: anything at or below the mark was handled (or is a repeat).
        if (r.seq === undefined || r.seq <= mark) continue;
        mark = r.seq;
        b.accepted.push(accepted(r));
      }
      b.highWater = mark;
      if (!b.host.knownEpochs.has(epoch)) byId.push(b);
    }
    if (byId.length > 0) {
      const seen = await this.store.seenIds(byId.flatMap((b) => b.accepted.map((a) => a.result.id)));
      for (const b of byId) {
        if (seen.size > 0) b.accepted = b.accepted.filter((a) => !seen.has(a.result.id));
        if (b.session.epoch === undefined) b.seenIds = b.accepted.map((a) => a.result.id);
      }
    }
    for (const b of group.batches) b.duplicates = b.results.length - b.accepted.length;
  }
}

/** The same id twice in one batch counts once. */
function uniqueById(results: IncomingResult[]): IncomingResult[] {
  const ids = new Set<string>();
  return results.filter((r) => {
    if (ids.has(r.id)) return false;
    ids.add(r.id);
    return true;
  });
}
