// Options of the `service` check: one of a systemd unit, a process name or a command-line expression.
import { type Static, Type } from '@sinclair/typebox';

export const SERVICE_DEFAULTS = {
  scope: 'system',
  minCount: 1,
} as const;

export const ServiceOptionsSchema = Type.Object(
  {
    unit: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        // A unit name, never an option: no leading dash.
        pattern: '^[A-Za-z0-9_.@:\\\\][A-Za-z0-9_.@:\\\\-]*$',
        description: 'a systemd unit, e.g. nginx.service (a name without suffix is a .service)',
      }),
    ),
    scope: Type.Optional(
      Type.Union([Type.Literal('system'), Type.Literal('user')], {
        default: SERVICE_DEFAULTS.scope,
        description: "with unit: the system manager, or the agent user's own manager (systemctl --user)",
      }),
    ),
    process: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: '^[^/]+$',
        description: 'a process name as in /proc/<pid>/comm (the kernel keeps its first 15 characters)',
      }),
    ),
    match: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'a regular expression matched against process command lines',
      }),
    ),
    minCount: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: SERVICE_DEFAULTS.minCount,
        description: 'with process or match: fewer matching processes than this is critical',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ServiceOptions = Static<typeof ServiceOptionsSchema>;

/** What to look for, once the options are known to name exactly one thing. */
export type ServiceTarget =
  | { kind: 'unit'; unit: string; scope: 'system' | 'user' }
  | { kind: 'process'; description: string; matcher: ProcessMatcher; minCount: number };

export type ProcessMatcher = { comm: string } | { cmdline: RegExp };

/** The target the options name, or the reason they do not name exactly one. */
export function resolveTarget(options: ServiceOptions): ServiceTarget | string {
  const given = (['unit', 'process', 'match'] as const).filter((key) => options[key] !== undefined);
  if (given.length !== 1)
    return `set exactly one of unit, process or match (got ${given.join(', ') || 'none'})`;
  if (options.unit !== undefined) {
    if (options.minCount !== undefined) return 'minCount applies to process and match, not to unit';
    return { kind: 'unit', unit: options.unit, scope: options.scope ?? SERVICE_DEFAULTS.scope };
  }
  if (options.scope !== undefined) return 'scope applies to unit only';
  const minCount = options.minCount ?? SERVICE_DEFAULTS.minCount;
  if (options.process !== undefined) {
    // The kernel truncates a process name to 15 characters (TASK_COMM_LEN − 1).
    const comm = options.process.slice(0, 15);
    return { kind: 'process', description: `process "${options.process}"`, matcher: { comm }, minCount };
  }
  try {
    const cmdline = new RegExp(options.match ?? '');
    return {
      kind: 'process',
      description: `processes matching /${options.match}/`,
      matcher: { cmdline },
      minCount,
    };
  } catch (err) {
    return `match is not a regular expression: ${(err as Error).message}`;
  }
}
