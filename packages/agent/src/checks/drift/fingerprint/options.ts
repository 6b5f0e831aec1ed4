// Options of the `fingerprint` check, and the defaults the check applies itself (the loader does not).
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { DurationSchema, parseDuration } from '@vigie/shared';

/**
 * Key-name fragments that mark a configuration value as secret (matched case-insensitively, anywhere).
 * `pass` and `pwd` go beyond the obvious words: `requirepass` (Redis), `passphrase`, `DB_PWD`, `MYSQL_PWD`.
 * A fragment too broad only hashes a harmless value; one missing sends a secret in clear.
 */
export const DEFAULT_SECRET_KEYS: readonly string[] = [
  'password',
  'passwd',
  'pass',
  'pwd',
  'secret',
  'token',
  'key',
  'credential',
  'private',
  'apikey',
  'api_key',
  'auth',
];

export const FINGERPRINT_DEFAULTS = {
  packages: true,
  runtimes: true,
  /** Each runtime probe (`node --version`...); a JVM starting on a loaded host needs a few seconds. */
  probeTimeout: '5s',
} as const;

export const CONFIG_FORMATS = [
  'auto',
  'env',
  'ini',
  'properties',
  'keyvalue',
  'json',
  'yaml',
  'hash',
] as const;
export type ConfigFormat = (typeof CONFIG_FORMATS)[number];

const AbsolutePath = (description: string) =>
  Type.String({ minLength: 2, maxLength: 200, pattern: '^/', description });

export const ConfigFileSchema = Type.Object(
  {
    path: AbsolutePath('an absolute path of a configuration file'),
    as: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 300,
        pattern: '^[^\\s]+$',
        description: 'the name its items carry instead of the path, when environments install it elsewhere',
      }),
    ),
    format: Type.Optional(
      Type.Union(
        CONFIG_FORMATS.map((format) => Type.Literal(format)),
        {
          default: 'auto',
          description: 'how to read its keys; auto guesses from the name, hash only hashes the file',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ConfigFile = Static<typeof ConfigFileSchema>;

export const FingerprintOptionsSchema = Type.Object(
  {
    packages: Type.Optional(
      Type.Boolean({
        default: FINGERPRINT_DEFAULTS.packages,
        description: 'list installed packages and their versions (dpkg or rpm)',
      }),
    ),
    runtimes: Type.Optional(
      Type.Boolean({
        default: FINGERPRINT_DEFAULTS.runtimes,
        description: 'ask the runtimes, servers and browsers present for their version',
      }),
    ),
    probeTimeout: Type.Optional(DurationSchema),
    configFiles: Type.Optional(
      Type.Array(ConfigFileSchema, {
        maxItems: 200,
        description: 'configuration files to hash and, for the formats it reads, to list key by key',
      }),
    ),
    secretKeys: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        description: 'key-name fragments whose values are sent as a keyed hash (default: see README)',
      }),
    ),
    overrides: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 300 }), Type.String({ maxLength: 4000 }), {
        maxProperties: 200,
        description:
          'items declared by the operator, replacing what is measured (e.g. a capacity the guest misreads)',
      }),
    ),
    secretHashKeyFile: Type.Optional(
      AbsolutePath(
        'file holding the HMAC key for secret values (default: generated in the agent state folder)',
      ),
    ),
  },
  { additionalProperties: false },
);
export type FingerprintOptions = Static<typeof FingerprintOptionsSchema>;

export interface ResolvedFingerprintOptions {
  packages: boolean;
  runtimes: boolean;
  probeTimeoutMs: number;
  configFiles: { path: string; as?: string; format: ConfigFormat }[];
  overrides: Record<string, string>;
  secretKeys: readonly string[];
  /** Where the HMAC key is read; `generate` says whether the check may create it when missing. */
  secretHashKey: { path: string; generate: boolean };
}

/** The key file used when none is configured: the agent's state folder, like its outbox. */
export function defaultSecretHashKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.VIGIE_STATE_DIR ?? '/var/lib/vigie-agent', 'fingerprint.key');
}

export function resolveFingerprintOptions(options: FingerprintOptions): ResolvedFingerprintOptions {
  return {
    packages: options.packages ?? FINGERPRINT_DEFAULTS.packages,
    runtimes: options.runtimes ?? FINGERPRINT_DEFAULTS.runtimes,
    probeTimeoutMs: parseDuration(options.probeTimeout ?? FINGERPRINT_DEFAULTS.probeTimeout),
    configFiles: (options.configFiles ?? []).map((file) => ({
      path: file.path,
      as: file.as,
      format: file.format ?? 'auto',
    })),
    overrides: options.overrides ?? {},
    secretKeys: options.secretKeys ?? DEFAULT_SECRET_KEYS,
    // A configured key file is the one shared with other hosts: never replace it with a fresh key.
    secretHashKey:
      options.secretHashKeyFile === undefined
        ? { path: defaultSecretHashKeyFile(), generate: true }
        : { path: options.secretHashKeyFile, generate: false },
  };
}
