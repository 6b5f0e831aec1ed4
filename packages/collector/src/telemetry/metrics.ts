// The collector's own counters and gauges, exposed at GET /metrics in Prometheus text format.
type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys
    .map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`)
    .join(',');
}

class Family {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: 'counter' | 'gauge',
  ) {}
}

export class Telemetry {
  private readonly families = new Map<string, Family>();
  private readonly collectors: Array<() => void> = [];

  counter(name: string, help: string): (labels?: Labels, by?: number) => void {
    const f = this.family(name, help, 'counter');
    return (labels = {}, by = 1) => {
      const k = labelKey(labels);
      f.values.set(k, (f.values.get(k) ?? 0) + by);
    };
  }

  gauge(name: string, help: string): (value: number, labels?: Labels) => void {
    const f = this.family(name, help, 'gauge');
    return (value, labels = {}) => {
      f.values.set(labelKey(labels), value);
    };
  }

  /** Runs before each exposition, to refresh gauges that are read rather than pushed. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  value(name: string, labels: Labels = {}): number {
    return this.families.get(name)?.values.get(labelKey(labels)) ?? 0;
  }

  render(): string {
    for (const c of this.collectors) c();
    const out: string[] = [];
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.kind}`);
      if (f.values.size === 0 && f.kind === 'counter') out.push(`${f.name} 0`);
      for (const [k, v] of f.values) out.push(k ? `${f.name}{${k}} ${v}` : `${f.name} ${v}`);
    }
    return `${out.join('\n')}\n`;
  }

  private family(name: string, help: string, kind: 'counter' | 'gauge'): Family {
    let f = this.families.get(name);
    if (!f) {
      f = new Family(name, help, kind);
      this.families.set(name, f);
    }
    return f;
  }
}

/** The collector's named instruments, so call sites cannot misspell a metric. */
export function collectorTelemetry() {
  const t = new Telemetry();
  return {
    registry: t,
    framesReceived: t.counter('vigie_ingest_frames_total', 'WebSocket frames received from agents, by type'),
    resultsAccepted: t.counter('vigie_ingest_results_total', 'Results handled for the first time'),
    resultsDuplicate: t.counter('vigie_ingest_duplicate_results_total', 'Results already handled (replays)'),
    ingestErrors: t.counter('vigie_ingest_errors_total', 'Frames refused or failed, by error code'),
    ingestDropped: t.counter(
      'vigie_ingest_dropped_total',
      'Metrics and results left out of acked batches because they cannot be stored, by what',
    ),
    authFailures: t.counter(
      'vigie_auth_failures_total',
      'Agent connections refused at the handshake, by reason',
    ),
    batchSeconds: t.counter('vigie_ingest_batch_seconds_total', 'Time spent processing result batches'),
    batches: t.counter('vigie_ingest_batches_total', 'Result batches acked'),
    sinkFailures: t.counter(
      'vigie_sink_write_failures_total',
      'Writes to the metrics store that failed: unavailable (spooled, retried) or with points refused',
    ),
    deadLetters: t.counter(
      'vigie_sink_dead_letters_total',
      'Metric points the store (or the encoder) refused as bad data, kept as dead letters',
    ),
    ticketsOpened: t.counter('vigie_tickets_opened_total', 'Tickets opened'),
    ticketsResolved: t.counter('vigie_tickets_resolved_total', 'Tickets resolved automatically on recovery'),
    spooledPoints: t.counter('vigie_spool_points_total', 'Metric points written to the disk spool'),
    drainedPoints: t.counter(
      'vigie_spool_drained_points_total',
      'Spooled metric points delivered to the sink',
    ),
    agentEvents: t.counter('vigie_agent_events_total', 'Events reported by agents about themselves, by kind'),
    agentsConnected: t.gauge('vigie_agents_connected', 'Agents connected now'),
    groups: t.counter('vigie_ingest_groups_total', 'Groups of batches committed together'),
    groupBatches: t.counter('vigie_ingest_group_batches_total', 'Batches in committed groups'),
    ingestBacklog: t.gauge('vigie_ingest_backlog_results', 'Results waiting for a group'),
    hostsInMemory: t.gauge('vigie_ingest_hosts_in_memory', 'Hosts whose check states are held in memory'),
    storeStatements: t.gauge(
      'vigie_ingest_store_statements',
      'Store statements run by the ingest path since start (multi-row statements count once)',
    ),
    storeTransactions: t.gauge(
      'vigie_ingest_store_transactions',
      'Store transactions run by the ingest path since start',
    ),
    ticketConflicts: t.gauge(
      'vigie_ingest_ticket_conflicts',
      'Group transactions planned again after another writer opened a ticket on one of their keys (since start)',
    ),
    clusterLeader: t.gauge(
      'vigie_cluster_leader',
      'Whether this collector runs the background work (SLA sweeps, dispatch, retention): 1 or 0',
    ),
    clusterHostsOwned: t.gauge('vigie_cluster_hosts_owned', 'Hosts whose lease this collector holds'),
    memory: t.gauge('vigie_process_resident_memory_bytes', 'Resident memory of the collector process'),
    heapUsed: t.gauge(
      'vigie_process_heap_used_bytes',
      "Live and not yet collected objects in the main thread's heap",
    ),
    heapTotal: t.gauge(
      'vigie_process_heap_total_bytes',
      "Size of the main thread's heap (young and old generations)",
    ),
    loopDelayP50: t.gauge(
      'vigie_event_loop_delay_p50_seconds',
      'Median delay of the main event loop since the previous scrape (what a request waits before it is read)',
    ),
    loopDelayP99: t.gauge(
      'vigie_event_loop_delay_p99_seconds',
      '99th percentile of the main event loop delay since the previous scrape',
    ),
    loopDelayMax: t.gauge(
      'vigie_event_loop_delay_max_seconds',
      'Longest delay of the main event loop since the previous scrape',
    ),
    externalMemory: t.gauge(
      'vigie_process_external_memory_bytes',
      'Memory held outside the heap by objects in it (buffers, sockets)',
    ),
  };
}
export type CollectorTelemetry = ReturnType<typeof collectorTelemetry>;
