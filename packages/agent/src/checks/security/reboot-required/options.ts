// Options of the `reboot-required` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const REBOOT_REQUIRED_DEFAULTS = {
  flagFile: '/var/run/reboot-required',
  needsRestarting: 'needs-restarting',
  bootDir: '/boot',
  severity: 'warning',
} as const;

const AbsolutePath = (description: string) =>
  Type.Optional(Type.String({ minLength: 2, pattern: '^/', description }));

export const RebootRequiredOptionsSchema = Type.Object(
  {
    flagFile: AbsolutePath('the flag Debian/Ubuntu packages create when a reboot is needed'),
    pkgsFile: AbsolutePath('the list of packages that asked for the reboot (default: flagFile + ".pkgs")'),
    needsRestarting: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'the RHEL `needs-restarting` program (dnf-utils/yum-utils), a name looked up on PATH or a path',
      }),
    ),
    bootDir: AbsolutePath('where the installed kernels (vmlinuz-*) are'),
    kernelCheck: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'compare the running kernel with the newest one installed',
      }),
    ),
    severity: Type.Optional(
      Type.Union([Type.Literal('warning'), Type.Literal('critical')], {
        default: REBOOT_REQUIRED_DEFAULTS.severity,
        description: 'status when a reboot is required',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RebootRequiredOptions = Static<typeof RebootRequiredOptionsSchema>;
