// Turns a CPU reading into metrics and a status: 5-minute load per core, then utilisation when asked.
import { type Metrics, type Status, statusSeverity } from '@vigie/shared';
import { type CheckOutcome, thresholdStatus } from '../../types.js';
import { round2 } from '../counters.js';
import { CPU_DEFAULTS, type CpuOptions } from './options.js';
import type { CpuUsage, LoadAverages } from './procstat.js';

export interface CpuReading {
  cores: number;
  load: LoadAverages;
  /** Undefined when no CPU time elapsed since the previous reading (two runs in the same tick). */
  usage: CpuUsage | undefined;
}

interface Finding {
  status: Status;
  text: string;
}

export function judgeCpu(reading: CpuReading, options: CpuOptions): CheckOutcome {
  const { cores, load, usage } = reading;
  const perCore = (value: number) => round2(value / Math.max(cores, 1));
  const metrics: Metrics = {
    cores,
    load1: load.load1,
    load5: load.load5,
    load15: load.load15,
    load1_per_core: perCore(load.load1),
    load5_per_core: perCore(load.load5),
    load15_per_core: perCore(load.load15),
  };
  const findings = [
    finding(
      `load5 per core ${perCore(load.load5).toFixed(2)}`,
      perCore(load.load5),
      options.warningLoadPerCore ?? CPU_DEFAULTS.warningLoadPerCore,
      options.criticalLoadPerCore ?? CPU_DEFAULTS.criticalLoadPerCore,
      '',
    ),
  ];
  if (usage !== undefined) {
    metrics.usage_percent = usage.usagePercent;
    metrics.iowait_percent = usage.iowaitPercent;
    metrics.steal_percent = usage.stealPercent;
    findings.push(
      finding(
        `CPU ${usage.usagePercent.toFixed(1)}% used`,
        usage.usagePercent,
        options.warningPercent,
        options.criticalPercent,
        '%',
      ),
    );
  }
  const worst = findings.reduce((a, b) => (statusSeverity(b.status) > statusSeverity(a.status) ? b : a));
  const message = worst.status === 'ok' ? summary(reading, perCore(load.load5)) : worst.text;
  return { status: worst.status, metrics, message };
}

function finding(
  what: string,
  value: number,
  warning: number | undefined,
  critical: number | undefined,
  unit: string,
): Finding {
  const status = thresholdStatus(value, warning, critical);
  const limit = status === 'critical' ? critical : warning;
  return { status, text: status === 'ok' ? what : `${what} (${status} >= ${limit}${unit})` };
}

function summary({ cores, load, usage }: CpuReading, load5PerCore: number): string {
  const loadText = `load5 ${load.load5.toFixed(2)} (${load5PerCore.toFixed(2)} per core, ${cores} cores)`;
  if (usage === undefined) return `${loadText}, CPU use not measured (no time elapsed)`;
  return (
    `${loadText}, CPU ${usage.usagePercent.toFixed(1)}% used, ` +
    `iowait ${usage.iowaitPercent.toFixed(1)}%, steal ${usage.stealPercent.toFixed(1)}%`
  );
}
