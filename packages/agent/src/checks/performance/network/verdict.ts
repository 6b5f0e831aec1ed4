// Turns two readings of the interfaces into traffic rates and new errors; the worst interface decides.
import { type Metrics, type Status, statusSeverity } from '@vigie/shared';
import { type CheckOutcome, thresholdStatus } from '../../types.js';
import { formatBytes, perSecond } from '../counters.js';
import type { InterfaceCounters } from './netdev.js';

export interface InterfaceRates {
  rxBytesPerSecond: number;
  txBytesPerSecond: number;
  /** Errors and drops are counts since the previous run, not rates: one error is already news. */
  rxErrors: number;
  txErrors: number;
  rxDropped: number;
  txDropped: number;
}

export function interfaceRates(deltas: InterfaceCounters, elapsedMs: number): InterfaceRates {
  return {
    rxBytesPerSecond: perSecond(deltas.rxBytes, elapsedMs),
    txBytesPerSecond: perSecond(deltas.txBytes, elapsedMs),
    rxErrors: deltas.rxErrors,
    txErrors: deltas.txErrors,
    rxDropped: deltas.rxDropped,
    txDropped: deltas.txDropped,
  };
}

export interface ErrorLimits {
  warning: number;
  critical: number;
}

interface Verdict {
  status: Status;
  message: string;
  /** Ranks interfaces of the same status: more errors, then more traffic. */
  weight: number;
}

export function judgeInterfaces(
  counters: Readonly<Record<string, InterfaceCounters>>,
  rates: ReadonlyMap<string, InterfaceRates>,
  missing: readonly string[],
  limits: ErrorLimits,
): CheckOutcome {
  const metrics: Metrics = {};
  for (const [name, c] of Object.entries(counters)) Object.assign(metrics, counterMetrics(name, c));
  const verdicts: Verdict[] = missing.map((name) => ({
    status: 'unknown',
    message: `interface ${name} does not exist`,
    weight: 0,
  }));
  for (const [name, r] of rates) {
    Object.assign(metrics, rateMetrics(name, r));
    verdicts.push(judgeInterface(name, r, limits));
  }
  if (verdicts.length === 0) {
    return {
      status: 'ok',
      metrics,
      message: `baseline taken for ${Object.keys(counters).length} interface(s)`,
    };
  }
  const worst = verdicts.reduce((a, b) => (isWorse(b, a) ? b : a));
  const others = verdicts.filter((v) => v !== worst && v.status !== 'ok').length;
  let message = worst.message;
  if (worst.status === 'ok') message = `${verdicts.length} interface(s) ok, busiest ${worst.message}`;
  else if (others > 0) message += ` (+${others} more interface(s) not ok)`;
  return { status: worst.status, metrics, message };
}

function judgeInterface(name: string, r: InterfaceRates, limits: ErrorLimits): Verdict {
  const errors = r.rxErrors + r.txErrors;
  const status = thresholdStatus(errors, limits.warning, limits.critical);
  const traffic = `rx ${formatBytes(r.rxBytesPerSecond)}/s, tx ${formatBytes(r.txBytesPerSecond)}/s`;
  if (status === 'ok') {
    return { status, message: `${name} ${traffic}`, weight: r.rxBytesPerSecond + r.txBytesPerSecond };
  }
  const limit = status === 'critical' ? limits.critical : limits.warning;
  const drops = r.rxDropped + r.txDropped;
  return {
    status,
    message: `${name} ${errors} new error(s), ${drops} drop(s) since the previous run (${status} >= ${limit})`,
    weight: errors,
  };
}

function isWorse(a: Verdict, b: Verdict): boolean {
  const bySeverity = statusSeverity(a.status) - statusSeverity(b.status);
  return bySeverity !== 0 ? bySeverity > 0 : a.weight > b.weight;
}

function counterMetrics(name: string, c: InterfaceCounters): Metrics {
  return {
    [`rx_bytes_total@${name}`]: c.rxBytes,
    [`tx_bytes_total@${name}`]: c.txBytes,
    [`rx_errors_total@${name}`]: c.rxErrors,
    [`tx_errors_total@${name}`]: c.txErrors,
    [`rx_dropped_total@${name}`]: c.rxDropped,
    [`tx_dropped_total@${name}`]: c.txDropped,
  };
}

function rateMetrics(name: string, r: InterfaceRates): Metrics {
  return {
    [`rx_bytes_per_second@${name}`]: r.rxBytesPerSecond,
    [`tx_bytes_per_second@${name}`]: r.txBytesPerSecond,
    [`rx_errors@${name}`]: r.rxErrors,
    [`tx_errors@${name}`]: r.txErrors,
    [`rx_dropped@${name}`]: r.rxDropped,
    [`tx_dropped@${name}`]: r.txDropped,
  };
}
