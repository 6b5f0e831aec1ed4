// Stage: in one transaction, mark results handled, save each check's last state (with its soft/hard memory),
// and drive its ticket from the confirmed state: open, count, raise, reopen, flap, resolve. A result older than
// the check's last known state updates nothing (late replay).
import type { Result } from '@vigie/shared';
import { type CheckMemory, type ConfirmationPolicy, INITIAL_MEMORY, observe } from '../rules/confirmation.js';
import { touchAgent } from '../store/agents.js';
import type { Db } from '../store/open.js';
import { getCheckState, markResultsSeen, saveCheckState } from '../store/results.js';
import {
  type ApplyDeps,
  applyFlapping,
  applyStatus,
  type StatusChange,
  type TicketEffect,
} from '../tickets/apply.js';
import type { NotificationKind, Notifier } from '../tickets/notifier.js';
import type { IngestBatch, Stage } from './pipeline.js';

/** Which ticket effects are worth a notification (a plain repeat is not; a raised severity is). */
const NOTIFY: Record<TicketEffect['kind'], NotificationKind | undefined> = {
  opened: 'opened',
  reopened: 'opened',
  occurrence: 'updated',
  flapping: 'updated',
  resolved: 'resolved',
};

export class RecordStage implements Stage {
  readonly name = 'record';
  constructor(
    private readonly db: Db,
    private readonly deps: ApplyDeps & {
      policy: ConfirmationPolicy;
      staleAfterMs: number;
      notifier: Notifier;
    },
  ) {}

  async run(batch: IngestBatch): Promise<void> {
    const s = batch.session;
    await this.db.transaction().execute(async (trx) => {
      await touchAgent(trx, s.agentId, batch.receivedAt);
      const inserted = await markResultsSeen(
        trx,
        s.tenantId,
        batch.fresh.map((r) => r.id),
        batch.receivedAt,
      );
      const fresh = batch.fresh.filter((r) => inserted.has(r.id));
      batch.duplicates += batch.fresh.length - fresh.length;
      batch.fresh = fresh;
      batch.effects = [];
      for (const r of sortedByTime(fresh)) await this.recordOne(trx, batch, r);
    });
  }

  private async recordOne(trx: Db, batch: IngestBatch, r: Result): Promise<void> {
    const s = batch.session;
    const evaluation = batch.evaluations.get(r.id);
    const status = evaluation?.status ?? r.status;
    const message = evaluation?.message ?? r.message;
    const previous = await getCheckState(trx, s.tenantId, s.host, r.checkId);
    if (previous && previous.observed_at > r.observedAt) return;
    const memory =
      previous?.memory && previous.memory !== '{}'
        ? (JSON.parse(previous.memory) as CheckMemory)
        : INITIAL_MEMORY;
    const t = observe(memory, status, Date.parse(r.observedAt), this.deps.policy);
    await saveCheckState(trx, {
      tenant_id: s.tenantId,
      host: s.host,
      check_id: r.checkId,
      type: r.type,
      category: r.category,
      status,
      agent_status: r.status,
      message,
      metrics: JSON.stringify(r.metrics),
      observed_at: r.observedAt,
      result_id: r.id,
      memory: JSON.stringify(t.memory),
      rules: JSON.stringify(evaluation?.applied ?? {}),
    });
    const change: StatusChange = {
      tenantId: s.tenantId,
      host: s.host,
      environment: s.environment,
      application: s.application,
      checkId: r.checkId,
      checkType: r.type,
      status,
      message,
      observedAt: r.observedAt,
      resultId: r.id,
      findings: evaluation?.findings ?? [],
      applied: evaluation?.applied,
      occurrencesAtOpen: t.memory.streak,
      stale: batch.receivedAt.getTime() - Date.parse(r.observedAt) > this.deps.staleAfterMs,
    };
    const effects = [];
    if (t.flapStarted || t.flapEnded)
      effects.push(await applyFlapping(trx, change, t.flapStarted, this.deps));
    if (t.memory.flapping) {
      // While flapping, count failures on the one flapping ticket; no opens and resolves.
      if (status !== 'ok' && !t.flapStarted) effects.push(await applyStatus(trx, change, this.deps));
    } else if (t.memory.hard !== 'ok' && status !== 'ok') {
      effects.push(await applyStatus(trx, { ...change, status: t.memory.hard }, this.deps));
    } else if (t.memory.hard === 'ok' && (t.hardChanged || t.flapEnded)) {
      effects.push(await applyStatus(trx, { ...change, status: 'ok' }, this.deps));
    }
    for (const e of effects) {
      if (!e) continue;
      batch.effects.push(e);
      const kind = NOTIFY[e.kind];
      if (kind && (e.kind !== 'occurrence' || e.raised)) await this.deps.notifier.notify(trx, e.ticket, kind);
    }
  }
}

function sortedByTime(results: Result[]): Result[] {
  return [...results].sort((a, b) =>
    a.observedAt < b.observedAt ? -1 : a.observedAt > b.observedAt ? 1 : 0,
  );
}
