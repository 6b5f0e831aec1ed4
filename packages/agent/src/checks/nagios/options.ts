// Options of the `nagios` check: which plugin to run, how, and which category its results belong to.
import { type Static, Type } from '@sinclair/typebox';
import { type Category, CategorySchema } from '@vigie/shared';

export const NAGIOS_DEFAULTS = {
  category: 'performance' as Category,
  /**
   * The plugin does not inherit the agent's environment (it may hold the agent's credentials): it gets this
   * PATH, the `env` option, then LC_ALL=C.
   */
  path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
} as const;

/** Environment variable names as POSIX shells accept them. */
const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

export const NagiosOptionsSchema = Type.Object(
  {
    command: Type.String({
      minLength: 2,
      maxLength: 4096,
      pattern: '^/',
      description: 'absolute path of the plugin executable, e.g. /usr/lib/nagios/plugins/check_load',
    }),
    args: Type.Optional(
      Type.Array(Type.String({ maxLength: 4096 }), {
        maxItems: 200,
        description: 'arguments, passed as they are (no shell): default none',
      }),
    ),
    env: Type.Optional(
      Type.Record(Type.String({ pattern: ENV_NAME }), Type.String({ maxLength: 4096 }), {
        additionalProperties: false,
        description: 'extra environment variables for the plugin (LC_ALL is always C)',
      }),
    ),
    /** Default performance; the runner must honour the outcome's `category` for this to take effect. */
    category: Type.Optional(CategorySchema),
  },
  { additionalProperties: false },
);
export type NagiosOptions = Static<typeof NagiosOptionsSchema>;

export interface ResolvedNagiosOptions {
  command: string;
  args: string[];
  /** The whole environment of the plugin. */
  env: Record<string, string>;
  category: Category;
}

export function resolveNagiosOptions(options: NagiosOptions): ResolvedNagiosOptions {
  return {
    command: options.command,
    args: options.args ?? [],
    env: { PATH: NAGIOS_DEFAULTS.path, ...options.env, LC_ALL: 'C' },
    category: options.category ?? NAGIOS_DEFAULTS.category,
  };
}
