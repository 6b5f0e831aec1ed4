// Stage: in one transaction, mark results handled, save each check's last state, and open/update/resolve
// tickets. A result older than the check's last known state updates nothing (late replay).
import type { Result } from '@vigie/shared';
import { touchAgent } from '../store/agents.js';
import type { Db } from '../store/open.js';
import { getCheckState, markResultsSeen, saveCheckState } from '../store/results.js';
import { applyStatus } from '../tickets/apply.js';
import type { IngestBatch, Stage } from './pipeline.js';

export class RecordStage implements Stage {
  readonly name = 'record';
  constructor(
    private readonly db: Db,
    private readonly deps: { newId: () => string; now: () => Date },
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
    });
    const effect = await applyStatus(
      trx,
      {
        tenantId: s.tenantId,
        host: s.host,
        checkId: r.checkId,
        checkType: r.type,
        status,
        message,
        observedAt: r.observedAt,
        resultId: r.id,
        findings: evaluation?.findings ?? [],
      },
      this.deps,
    );
    if (effect) batch.effects.push(effect);
  }
}

function sortedByTime(results: Result[]): Result[] {
  return [...results].sort((a, b) =>
    a.observedAt < b.observedAt ? -1 : a.observedAt > b.observedAt ? 1 : 0,
  );
}
