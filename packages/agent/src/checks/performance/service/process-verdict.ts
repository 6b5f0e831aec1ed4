// Judges the processes of a service: too few is critical, one replaced since the previous run is a warning.
import type { Status } from '@vigie/shared';
import type { CheckOutcome } from '../../types.js';
import { formatUptime } from './duration.js';
import { CLOCK_TICKS_PER_SECOND, type ProcessStat } from './processes.js';

/** `pid:starttime`: a pid reused by a later process gets another identity. */
export function processIdentity(stat: ProcessStat): string {
  return `${stat.pid}:${stat.startTicks}`;
}

/**
 * Processes replaced since the previous run: as many as both went away and appeared. One that died and was
 * started again counts 1; one that died for good counts 0 (the count shows it), as does an extra worker.
 */
export function replacedProcesses(
  previous: readonly string[] | undefined,
  current: readonly string[],
): number {
  if (previous === undefined) return 0;
  const before = new Set(previous);
  const now = new Set(current);
  const gone = previous.filter((id) => !now.has(id)).length;
  const appeared = current.filter((id) => !before.has(id)).length;
  return Math.min(gone, appeared);
}

export interface ProcessReading {
  /** `process "nginx"` or `processes matching /.../`. */
  description: string;
  processes: readonly ProcessStat[];
  restarts: number;
  uptimeSeconds: number;
  minCount: number;
  /** Resident memory of the processes together. */
  memoryBytes?: number;
}

export function judgeProcesses(reading: ProcessReading): CheckOutcome {
  const { description, processes, restarts, minCount } = reading;
  const metrics: Record<string, number> = { processes: processes.length, restarts };
  let status: Status = 'ok';
  let message = `${description}: ${processes.length} running`;
  if (processes.length > 0) {
    const oldestStart = Math.min(...processes.map((p) => p.startTicks));
    const oldest = Math.max(0, Math.round(reading.uptimeSeconds - oldestStart / CLOCK_TICKS_PER_SECOND));
    metrics.oldest_uptime_seconds = oldest;
    if (reading.memoryBytes !== undefined) metrics.memory_bytes = reading.memoryBytes;
    message += `, oldest up ${formatUptime(oldest)}`;
  }
  if (processes.length < minCount) {
    status = 'critical';
    message = `${description}: ${processes.length} running (critical < ${minCount})`;
  } else if (restarts > 0) {
    status = 'warning';
    message += `, ${restarts} restarted since the previous run`;
  }
  return { status, metrics, message };
}
