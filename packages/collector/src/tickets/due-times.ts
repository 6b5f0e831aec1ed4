// Due times of a new ticket. Until a tenant has a contract with its own coverage calendar, targets run on
// the collector's default contract, around the clock.
import type { Db } from '../store/open.js';
import type { DueTimes } from './apply.js';
import type { Priority } from './priority.js';

export interface Targets {
  response: Record<Priority, number>;
  resolution: Record<Priority, number>;
}

export const DEFAULT_TARGETS: Targets = {
  response: { P1: 2 * 3_600_000, P2: 6 * 3_600_000, P3: 24 * 3_600_000, P4: 72 * 3_600_000 },
  resolution: { P1: 8 * 3_600_000, P2: 24 * 3_600_000, P3: 72 * 3_600_000, P4: 240 * 3_600_000 },
};

export function roundTheClockDueTimes(targets: Targets = DEFAULT_TARGETS): DueTimes {
  return async (_db: Db, _tenant: string, priority: Priority, openedAt: Date) => ({
    responseDue: new Date(openedAt.getTime() + targets.response[priority]),
    resolutionDue: new Date(openedAt.getTime() + targets.resolution[priority]),
  });
}
