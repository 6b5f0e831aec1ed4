// Reads /proc/meminfo (proc(5)) and derives what an operator watches: memory really in use, and swap.
import { percentOf } from '../counters.js';

/** Every `Key: value [kB]` line, values in bytes (pages counts such as HugePages_Total are kept as is). */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([^:\s]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (match === null) continue;
    const [, key, value] = match;
    const unit = line.trimEnd().endsWith('kB') ? 1024 : 1;
    fields.set(key as string, Number(value) * unit);
  }
  return fields;
}

export interface MemoryUsage {
  totalBytes: number;
  availableBytes: number;
  /** (MemTotal − MemAvailable) / MemTotal: page cache the kernel can drop does not count as used. */
  usedPercent: number;
  swapTotalBytes: number;
  /** 0 when there is no swap. */
  swapUsedPercent: number;
}

export function memoryUsage(fields: ReadonlyMap<string, number>): MemoryUsage {
  const total = fields.get('MemTotal');
  if (total === undefined || total <= 0) throw new Error('no MemTotal: not a /proc/meminfo file');
  const available = fields.get('MemAvailable') ?? estimateAvailable(fields);
  const swapTotal = fields.get('SwapTotal') ?? 0;
  const swapFree = fields.get('SwapFree') ?? swapTotal;
  return {
    totalBytes: total,
    availableBytes: available,
    usedPercent: percentOf(total - available, total),
    swapTotalBytes: swapTotal,
    swapUsedPercent: percentOf(swapTotal - swapFree, swapTotal),
  };
}

/** Kernels before 3.14 have no MemAvailable: free memory plus buffers and page cache is the old estimate. */
function estimateAvailable(fields: ReadonlyMap<string, number>): number {
  return (fields.get('MemFree') ?? 0) + (fields.get('Buffers') ?? 0) + (fields.get('Cached') ?? 0);
}
