// Where a ticket stands against its SLA targets at a given time: at risk (a share of the target used) or
// breached (past due and not met). Due times already include the pauses while the ticket waited for the client.
import type { TicketTable } from '../store/schema.js';

export interface TargetState {
  usedShare: number;
  atRisk: boolean;
  breached: boolean;
  met: boolean;
}

export interface SlaState {
  response: TargetState | undefined;
  resolution: TargetState | undefined;
}

function target(
  openedAt: number,
  dueIso: string | null | undefined,
  metIso: string | null | undefined,
  pausedMs: number,
  now: number,
  atRiskShare: number,
): TargetState | undefined {
  if (!dueIso) return undefined;
  const due = Date.parse(dueIso);
  const budget = Math.max(1, due - openedAt - pausedMs);
  const metAt = metIso ? Date.parse(metIso) : undefined;
  const until = metAt ?? now;
  const usedShare = Math.max(0, (until - openedAt - pausedMs) / budget);
  const breached = until > due;
  const met = metAt !== undefined;
  return { usedShare, atRisk: !met && !breached && usedShare >= atRiskShare, breached, met };
}

export function slaState(t: TicketTable, now: Date, atRiskShare: number): SlaState {
  const opened = Date.parse(t.opened_at);
  const paused = t.paused_ms ?? 0;
  // While waiting for the client the clock is stopped: judge at the moment the wait began.
  const at = t.waiting_since ? Date.parse(t.waiting_since) : now.getTime();
  return {
    response: target(opened, t.response_due_at, t.acknowledged_at, paused, at, atRiskShare),
    resolution: target(opened, t.resolution_due_at, t.resolved_at, paused, at, atRiskShare),
  };
}

/** The flags to show, as stored in `tickets.sla_flags`. Breaches stay flagged once met late. */
export function slaFlags(state: SlaState): string[] {
  const flags: string[] = [];
  if (state.response?.atRisk) flags.push('response_at_risk');
  if (state.response?.breached) flags.push('response_breached');
  if (state.resolution?.atRisk) flags.push('resolution_at_risk');
  if (state.resolution?.breached) flags.push('resolution_breached');
  return flags;
}
