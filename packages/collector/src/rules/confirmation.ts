// Soft and hard states, as Nagios has them: a new non-ok status must hold for `failures` consecutive results
// before it becomes the hard state that tickets follow; recovery needs `recoveries` consecutive ok results.
// Also counts state changes in a sliding window to detect flapping.
import type { Status } from '@vigie/shared';

export interface ConfirmationPolicy {
  failures: number;
  recoveries: number;
  /** Flapping: at least `flapChanges` soft state changes within `flapWindowMs`. */
  flapChanges: number;
  flapWindowMs: number;
}

export interface CheckMemory {
  /** The confirmed state that tickets follow. */
  hard: Status;
  /** The latest status seen, and for how many consecutive results. */
  soft: Status;
  streak: number;
  /** Times (ms) of recent soft state changes, oldest first, within the flap window. */
  changes: number[];
  flapping: boolean;
}

export const INITIAL_MEMORY: CheckMemory = {
  hard: 'ok',
  soft: 'ok',
  streak: 0,
  changes: [],
  flapping: false,
};

export interface Transition {
  memory: CheckMemory;
  /** The hard state changed with this result (e.g. ok -> critical after N failures). */
  hardChanged: boolean;
  flapStarted: boolean;
  flapEnded: boolean;
}

export function observe(
  prev: CheckMemory,
  status: Status,
  at: number,
  policy: ConfirmationPolicy,
): Transition {
  const streak = status === prev.soft ? prev.streak + 1 : 1;
  const since = at - policy.flapWindowMs;
  // The same status again with every change still in the window (the common case) keeps the same list.
  const changes =
    status === prev.soft && (prev.changes.length === 0 || (prev.changes[0] as number) > since)
      ? prev.changes
      : (status === prev.soft ? prev.changes : [...prev.changes, at]).filter((t) => t > since);
  let hard = prev.hard;
  if (status === 'ok' && hard !== 'ok' && streak >= policy.recoveries) hard = 'ok';
  if (status !== 'ok' && streak >= policy.failures) hard = status;
  // A worse status while already failing is confirmed at once: severity only ever goes up without waiting.
  if (status !== 'ok' && prev.hard !== 'ok' && rank(status) > rank(prev.hard)) hard = status;
  const flapping = prev.flapping ? changes.length > 1 : changes.length >= policy.flapChanges;
  return {
    memory: { hard, soft: status, streak, changes, flapping },
    hardChanged: hard !== prev.hard,
    flapStarted: flapping && !prev.flapping,
    flapEnded: !flapping && prev.flapping,
  };
}

const RANK: Record<Status, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

function rank(s: Status): number {
  return RANK[s];
}
