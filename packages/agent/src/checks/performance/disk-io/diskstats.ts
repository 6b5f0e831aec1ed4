// Reads the kernel's block device counters (/proc/diskstats, Documentation/admin-guide/iostats.rst).

/** Cumulative counters of one block device since it appeared. */
export interface DiskCounters {
  reads: number;
  writes: number;
  /** Sectors in /proc/diskstats are always 512 bytes, whatever the device's own sector size. */
  readBytes: number;
  writtenBytes: number;
  /** Milliseconds during which the device had I/O in flight (`io_ticks`). */
  busyMs: number;
}

const SECTOR_BYTES = 512;

/**
 * `major minor name reads merged sectors ms writes merged sectors ms in-flight io_ticks ...`: the counters
 * keyed by device name. Throws on a line without the 14 fields every kernel writes.
 */
export function parseDiskstats(text: string): Record<string, DiskCounters> {
  const disks: Record<string, DiskCounters> = {};
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const fields = line.trim().split(/\s+/);
    const name = fields[2];
    const numbers = fields.slice(3, 14).map(Number);
    if (name === undefined || numbers.length < 11 || numbers.some((n) => !Number.isFinite(n))) {
      throw new Error(`diskstats line ${index + 1} is not "major minor name counters..."`);
    }
    const [reads, , sectorsRead, , writes, , sectorsWritten, , , busyMs] = numbers as number[];
    disks[name] = {
      reads: reads as number,
      writes: writes as number,
      readBytes: (sectorsRead as number) * SECTOR_BYTES,
      writtenBytes: (sectorsWritten as number) * SECTOR_BYTES,
      busyMs: busyMs as number,
    };
  });
  return disks;
}

/**
 * The devices to watch: whole disks (those listed in /sys/block, so partitions are not counted twice) whose
 * name does not match `exclude`. Without the /sys/block list, every device is kept.
 */
export function selectDisks(
  disks: Readonly<Record<string, DiskCounters>>,
  wholeDisks: ReadonlySet<string> | undefined,
  exclude: RegExp,
): Record<string, DiskCounters> {
  return Object.fromEntries(
    Object.entries(disks).filter(
      ([name]) => (wholeDisks === undefined || wholeDisks.has(name)) && !exclude.test(name),
    ),
  );
}
