// Turns memory usage into metrics and a status: the worse of memory and swap decides.
import { type Status, statusSeverity } from '@vigie/shared';
import { type CheckOutcome, thresholdStatus } from '../../types.js';
import type { MemoryUsage } from './meminfo.js';
import { MEMORY_DEFAULTS, type MemoryOptions } from './options.js';

const GIB = 1024 ** 3;

export function judgeMemory(usage: MemoryUsage, options: MemoryOptions): CheckOutcome {
  const memory = finding(
    `memory ${usage.usedPercent.toFixed(1)}% used`,
    usage.usedPercent,
    options.warningPercent ?? MEMORY_DEFAULTS.warningPercent,
    options.criticalPercent ?? MEMORY_DEFAULTS.criticalPercent,
  );
  const hasSwap = usage.swapTotalBytes > 0;
  const swap = hasSwap
    ? finding(
        `swap ${usage.swapUsedPercent.toFixed(1)}% used`,
        usage.swapUsedPercent,
        options.swapWarningPercent ?? MEMORY_DEFAULTS.swapWarningPercent,
        options.swapCriticalPercent ?? MEMORY_DEFAULTS.swapCriticalPercent,
      )
    : { status: 'ok' as const, text: 'no swap' };
  const worst = statusSeverity(swap.status) > statusSeverity(memory.status) ? swap : memory;
  const available = `${(usage.availableBytes / GIB).toFixed(1)} GiB available of ${(usage.totalBytes / GIB).toFixed(1)} GiB`;
  return {
    status: worst.status,
    metrics: {
      used_percent: usage.usedPercent,
      available_bytes: usage.availableBytes,
      total_bytes: usage.totalBytes,
      swap_used_percent: usage.swapUsedPercent,
      swap_total_bytes: usage.swapTotalBytes,
    },
    message: worst.status === 'ok' ? `${memory.text} (${available}), ${swap.text}` : worst.text,
  };
}

function finding(
  what: string,
  value: number,
  warning: number,
  critical: number,
): { status: Status; text: string } {
  const status = thresholdStatus(value, warning, critical);
  const limit = status === 'critical' ? critical : warning;
  return { status, text: status === 'ok' ? what : `${what} (${status} >= ${limit}%)` };
}
