// Options of the `disk-io` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const DISK_IO_DEFAULTS = {
  /** Loop devices, RAM disks, compressed RAM swap, floppies and optical drives: no disk to watch. */
  excludeDevices: '^(loop|ram|zram|fd|sr)\\d*',
  busyWarningPercent: 80,
  busyCriticalPercent: 95,
} as const;

const Percent = (description: string, fallback: number) =>
  Type.Optional(Type.Number({ minimum: 0, maximum: 100, default: fallback, description }));

export const DiskIoOptionsSchema = Type.Object(
  {
    excludeDevices: Type.Optional(
      Type.String({
        default: DISK_IO_DEFAULTS.excludeDevices,
        description: 'regular expression of device names to leave out',
      }),
    ),
    busyWarningPercent: Percent(
      'share of the time a disk had I/O in flight, in %, from which it is warning',
      DISK_IO_DEFAULTS.busyWarningPercent,
    ),
    busyCriticalPercent: Percent(
      'share of the time a disk had I/O in flight, in %, from which it is critical',
      DISK_IO_DEFAULTS.busyCriticalPercent,
    ),
  },
  { additionalProperties: false },
);
export type DiskIoOptions = Static<typeof DiskIoOptionsSchema>;
