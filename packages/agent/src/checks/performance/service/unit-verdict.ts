// Judges a systemd unit: active is ok, a restart since the previous run is a warning, down is critical.
import type { Status } from '@vigie/shared';
import type { CheckOutcome } from '../../types.js';
import { formatUptime } from './duration.js';
import type { UnitState } from './systemctl.js';

const RUNNING = new Set(['active', 'reloading', 'refreshing']);
const IN_TRANSITION = new Set(['activating', 'deactivating']);

/** Restarts between two readings: automatic ones counted by systemd, or a new start time (manual restart). */
export function unitRestarts(previous: UnitState | undefined, current: UnitState): number {
  if (previous === undefined) return 0;
  const automatic = current.restartsTotal - previous.restartsTotal;
  if (automatic > 0) return automatic;
  const restarted = current.startMonotonicUs !== previous.startMonotonicUs;
  return restarted && previous.startMonotonicUs > 0 && current.startMonotonicUs > 0 ? 1 : 0;
}

export function judgeUnit(
  unit: string,
  state: UnitState,
  restarts: number,
  nowMonotonicUs: number,
): CheckOutcome {
  const active = RUNNING.has(state.activeState);
  const metrics: Record<string, number> = {
    active: active ? 1 : 0,
    restarts,
    restarts_total: state.restartsTotal,
  };
  const started = active && state.startMonotonicUs > 0;
  const uptime = started ? Math.max(0, Math.round((nowMonotonicUs - state.startMonotonicUs) / 1e6)) : 0;
  if (started) metrics.uptime_seconds = uptime;
  if (active && state.memoryBytes !== undefined) metrics.memory_bytes = state.memoryBytes;
  const { status, message } = unitStatus(
    unit,
    state,
    restarts,
    started ? ` for ${formatUptime(uptime)}` : '',
  );
  return { status, metrics, message };
}

function unitStatus(
  unit: string,
  state: UnitState,
  restarts: number,
  upFor: string,
): { status: Status; message: string } {
  if (state.loadState === 'not-found') return { status: 'critical', message: `unit ${unit} not found` };
  if (state.loadState !== 'loaded') {
    return { status: 'critical', message: `unit ${unit} cannot be loaded (${state.loadState})` };
  }
  const where = `unit ${unit} ${state.activeState} (${state.subState})`;
  if (IN_TRANSITION.has(state.activeState)) return { status: 'warning', message: where };
  if (!RUNNING.has(state.activeState)) return { status: 'critical', message: where };
  if (restarts > 0) {
    return {
      status: 'warning',
      message: `${where}${upFor}, restarted ${restarts} time(s) since the previous run`,
    };
  }
  return { status: 'ok', message: `${where}${upFor}` };
}
