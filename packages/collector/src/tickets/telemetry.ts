// Ticket and agent figures for the dashboards, written to the metrics sink next to the check metrics:
//   vigie_ticket_event  one point per ticket event (opened, acknowledged, resolved, escalated, breached, ...)
//   vigie_tickets       per sweep: open, at-risk and breached tickets per tenant, application, environment, priority
//   vigie_agent         per sweep: each agent up (1) or silent (0), and for how long it has been silent
// Best effort: a failure is logged, never fails the caller (the check metrics themselves go through the spool).
import type { Logger } from 'pino';
import type { MetricPoint, MetricsSink } from '../sinks/types.js';
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';

export class TicketTelemetry {
  /** Groups that had tickets at the previous sweep: they get a zero point once emptied, not a stale count. */
  private previousGroups = new Map<string, Record<string, string>>();

  constructor(
    private readonly sink: MetricsSink,
    private readonly log: Logger,
  ) {}

  async event(t: TicketTable, kind: string, at: Date): Promise<void> {
    const fields: Record<string, number> = { count: 1, occurrences: t.occurrences };
    const opened = Date.parse(t.opened_at);
    if (kind === 'acknowledged' && t.acknowledged_at) {
      fields.time_to_acknowledge_seconds = (Date.parse(t.acknowledged_at) - opened) / 1000;
    }
    if (kind === 'resolved' && t.resolved_at)
      fields.time_to_resolve_seconds = (Date.parse(t.resolved_at) - opened) / 1000;
    await this.write([
      {
        measurement: 'vigie_ticket_event',
        tags: {
          tenant: t.tenant_id,
          application: t.application ?? '',
          environment: t.environment ?? '',
          host: t.host,
          check: t.check_id,
          priority: t.priority ?? 'P4',
          kind,
        },
        fields,
        time: at.getTime(),
      },
    ]);
  }

  /** The state of the queue and of the fleet, once per sweep. */
  async snapshot(db: Db, now: Date, silentAfterMs: number): Promise<void> {
    const points: MetricPoint[] = [];
    const active = await db
      .selectFrom('tickets')
      .select(['tenant_id', 'application', 'environment', 'priority', 'sla_flags'])
      .where('status', 'in', ['open', 'acknowledged', 'in_progress', 'waiting'])
      .execute();
    const groups = new Map<
      string,
      { tags: Record<string, string>; open: number; at_risk: number; breached: number }
    >();
    for (const t of active) {
      const tags = {
        tenant: t.tenant_id,
        application: t.application ?? '',
        environment: t.environment ?? '',
        priority: t.priority ?? 'P4',
      };
      const key = JSON.stringify(tags);
      const g = groups.get(key) ?? { tags, open: 0, at_risk: 0, breached: 0 };
      g.open++;
      if ((t.sla_flags ?? '').includes('at_risk')) g.at_risk++;
      if ((t.sla_flags ?? '').includes('breached')) g.breached++;
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      points.push({
        measurement: 'vigie_tickets',
        tags: g.tags,
        fields: { open: g.open, at_risk: g.at_risk, breached: g.breached },
        time: now.getTime(),
      });
    }
    for (const [key, tags] of this.previousGroups) {
      if (groups.has(key)) continue;
      points.push({
        measurement: 'vigie_tickets',
        tags,
        fields: { open: 0, at_risk: 0, breached: 0 },
        time: now.getTime(),
      });
    }
    this.previousGroups = new Map([...groups].map(([k, g]) => [k, g.tags]));
    const agents = await db.selectFrom('agents').selectAll().execute();
    for (const a of agents) {
      const silentFor = Math.max(0, now.getTime() - Date.parse(a.last_seen));
      points.push({
        measurement: 'vigie_agent',
        tags: { tenant: a.tenant_id, application: a.application, environment: a.environment, host: a.host },
        fields: {
          up: silentFor > silentAfterMs ? 0 : 1,
          silent_seconds: silentFor > silentAfterMs ? silentFor / 1000 : 0,
        },
        time: now.getTime(),
      });
    }
    await this.write(points);
  }

  private async write(points: MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    try {
      await this.sink.write(points);
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message, points: points.length },
        'ticket figures not written to the metrics sink',
      );
    }
  }
}
