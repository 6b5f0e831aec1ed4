// Stage: run each accepted result through its check's soft/hard confirmation and flap detection, in memory,
// in observation order. Produces the check's next state, whether the store must get it now (material: a
// status, a confirmed state or the flapping memory changed, or the streak still counts towards a threshold)
// or can get it behind, and the ticket work the transition asks for. A result older than its check's last
// state updates nothing (an out-of-order or late replay); its metrics are still written.
import type { Status } from '@vigie/shared';
import { type CheckMemory, type ConfirmationPolicy, INITIAL_MEMORY, observe } from '../rules/confirmation.js';
import { dedupKey } from '../tickets/lifecycle.js';
import { ticketIntents, wantsTicketWork } from '../tickets/plan.js';
import type { CheckState } from './host-state.js';
import type { AcceptedResult, IngestBatch, IngestGroup, Stage } from './pipeline.js';

export class ConfirmStage implements Stage {
  readonly name = 'confirm';
  /** Beyond this streak, one more result of the same status changes no decision: not material. */
  private readonly decisiveStreak: number;

  constructor(private readonly policy: ConfirmationPolicy) {
    this.decisiveStreak = Math.max(policy.failures, policy.recoveries);
  }

  run(group: IngestGroup): void {
    for (const b of group.batches) {
      const ordered = b.accepted.length > 1 ? [...b.accepted].sort((x, y) => x.at - y.at) : b.accepted;
      for (const a of ordered) this.observeOne(b, a);
    }
  }

  private observeOne(b: IngestBatch, a: AcceptedResult): void {
    const r = a.result;
    const prev = b.next.get(r.checkId) ?? b.host.checks.get(r.checkId);
    if (prev && prev.at > a.at) return;
    const status: Status = a.evaluation?.status ?? r.status;
    const message = a.evaluation?.message ?? r.message;
    const memory = prev?.memory ?? INITIAL_MEMORY;
    const t = observe(memory, status, a.at, this.policy);
    const next: CheckState = {
      checkId: r.checkId,
      type: r.type,
      category: r.category,
      status,
      agentStatus: r.status,
      message,
      metrics: r.metrics,
      observedAt: a.observedAt,
      at: a.at,
      resultId: r.id,
      memory: t.memory,
      rules: a.evaluation?.applied ?? {},
    };
    b.next.set(r.checkId, next);
    if (
      !prev ||
      prev.status !== status ||
      prev.agentStatus !== r.status ||
      memoryChanged(prev.memory, t.memory, this.decisiveStreak)
    ) {
      b.material.add(r.checkId);
    }
    const transition = {
      hard: t.memory.hard,
      flapping: t.memory.flapping,
      hardChanged: t.hardChanged,
      flapStarted: t.flapStarted,
      flapEnded: t.flapEnded,
    };
    if (!wantsTicketWork(transition, status)) return;
    const s = b.session;
    const intents = ticketIntents(transition, status, {
      tenantId: s.tenantId,
      host: s.host,
      environment: s.environment,
      application: s.application,
      checkId: r.checkId,
      checkType: r.type,
      status,
      message,
      observedAt: a.observedAt,
      resultId: r.id,
      findings: a.evaluation?.findings ?? [],
      applied: a.evaluation?.applied,
      occurrencesAtOpen: t.memory.streak,
      stale: a.late,
    });
    if (intents.length > 0) {
      const key = dedupKey(s.tenantId, s.host, r.checkId);
      for (const intent of intents) b.intents.push({ key, intent });
    }
  }
}

function memoryChanged(a: CheckMemory, b: CheckMemory, decisiveStreak: number): boolean {
  return (
    a.hard !== b.hard ||
    a.soft !== b.soft ||
    a.flapping !== b.flapping ||
    a.changes.length !== b.changes.length ||
    a.changes[a.changes.length - 1] !== b.changes[b.changes.length - 1] ||
    (a.streak !== b.streak && b.streak <= decisiveStreak)
  );
}
