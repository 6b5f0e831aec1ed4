// Options of the `failed-logins` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const FAILED_LOGINS_DEFAULTS = {
  source: 'auto',
  logFiles: ['/var/log/auth.log', '/var/log/secure'],
  journalUnits: ['ssh', 'sshd'],
  warning: 10,
  critical: 100,
  countExisting: false,
} as const;

export const FailedLoginsOptionsSchema = Type.Object(
  {
    source: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Literal('file'), Type.Literal('journal')], {
        default: FAILED_LOGINS_DEFAULTS.source,
        description: 'auto: the log files when one exists, else the journal',
      }),
    ),
    logFiles: Type.Optional(
      Type.Array(Type.String({ minLength: 2, pattern: '^/' }), {
        minItems: 1,
        description: 'auth logs to follow (default: /var/log/auth.log, /var/log/secure)',
      }),
    ),
    journalUnits: Type.Optional(
      Type.Array(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9@._:-]+$' }), {
        minItems: 1,
        description: 'systemd units whose journal is read (default: ssh, sshd)',
      }),
    ),
    warning: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: FAILED_LOGINS_DEFAULTS.warning,
        description: 'warning from this many per run',
      }),
    ),
    critical: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: FAILED_LOGINS_DEFAULTS.critical,
        description: 'critical from this many per run',
      }),
    ),
    countExisting: Type.Optional(
      Type.Boolean({
        default: FAILED_LOGINS_DEFAULTS.countExisting,
        description: 'on the first run, count what the log already holds instead of taking a baseline',
      }),
    ),
  },
  { additionalProperties: false },
);
export type FailedLoginsOptions = Static<typeof FailedLoginsOptionsSchema>;
