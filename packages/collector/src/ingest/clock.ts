// Stage: put every result on the collector's clock. Times are RFC 3339 with any offset; they are compared as
// instants, never as text. A protocol 2 agent says when it sent each batch, so its clock's skew is measured
// on every batch: beyond `toleranceMs` ahead (or `behindToleranceMs` behind: a batch that waited looks behind),
// its results are shifted by the skew ("corrected"), so an agent whose clock runs days ahead or behind still
// gets its tickets, SLA times and charts at the right times. A time
// still ahead of the receive time is clamped to it ("clamped"): nothing is ever dated in the future. A result
// older than `staleAfterMs` when received is late: it may update state or resolve, never open a ticket.
import type { IngestGroup, Stage } from './pipeline.js';

export interface ClockPolicy {
  /** Skew and lead within this are the network and the clocks' ordinary drift: left alone. */
  toleranceMs: number;
  /**
   * A clock that looks behind may be a batch that waited (on the network, in a socket, behind a busy or
   * descheduled collector): its results are moved only past this much (default: the larger of `toleranceMs`
   * and 30 s, the agents' ack timeout, past which a batch is sent again anyway). Moving them for a wait would
   * give a replay of the same results, handled elsewhere without the wait, other times (two points each).
   */
  behindToleranceMs?: number;
  staleAfterMs: number;
}

/** The agents' ack timeout: a batch that waited longer has been sent again. */
export const BEHIND_TOLERANCE_MS = 30_000;

export class ClockStage implements Stage {
  readonly name = 'clock';
  constructor(private readonly policy: ClockPolicy) {}

  run(group: IngestGroup): void {
    const { toleranceMs, staleAfterMs } = this.policy;
    const behindMs = this.policy.behindToleranceMs ?? Math.max(toleranceMs, BEHIND_TOLERANCE_MS);
    for (const b of group.batches) {
      const skew = b.sentAt === undefined ? undefined : b.sentAt - b.receivedAt;
      const shift = skew !== undefined && (skew > toleranceMs || skew < -behindMs) ? skew : 0;
      let lead = 0;
      for (const a of b.accepted) {
        const given = a.result.observedAt;
        const parsed = Date.parse(given);
        let t = parsed;
        if (shift !== 0) {
          t -= shift;
          a.clock = 'corrected';
        }
        if (t > b.receivedAt + toleranceMs) {
          lead = Math.max(lead, t - b.receivedAt);
          t = b.receivedAt;
          a.clock = 'clamped';
        }
        a.at = t;
        // Written back in the one form (UTC, milliseconds): most agents send it already.
        a.observedAt = t === parsed && isCanonicalUtc(given) ? given : new Date(t).toISOString();
        a.late = b.receivedAt - t > staleAfterMs;
      }
      // Protocol 1 agents do not say when they sent: a lead past the tolerance is the best measure there is.
      b.skewMs = skew ?? (lead > 0 ? lead : undefined);
    }
  }
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ`, what `Date.prototype.toISOString` gives for years 0 to 9999. */
function isCanonicalUtc(s: string): boolean {
  return s.length === 24 && s.charCodeAt(23) === 90 && s.charCodeAt(19) === 46 && s.charCodeAt(10) === 84;
}
