// The agent's configuration: one schema that yields both validation (with key paths) and the type.
import { type Static, Type } from '@sinclair/typebox';
import { ApplicationNameSchema, EnvironmentSchema } from '@vigie/shared';
import { DurationSchema } from './duration.js';

export const CollectorSchema = Type.Object(
  {
    url: Type.Union(
      [
        Type.String({ pattern: '^wss?://' }),
        Type.Array(Type.String({ pattern: '^wss?://' }), { minItems: 1, maxItems: 20 }),
      ],
      {
        description:
          'ws:// or wss:// URL of the collector ingest endpoint, or a list of them (several collectors: tried in turn)',
      },
    ),
    token: Type.Optional(Type.String({ minLength: 8, description: 'per-agent token' })),
    tokenFile: Type.Optional(
      Type.String({ minLength: 1, description: 'file holding the token (mode 0600)' }),
    ),
    caFile: Type.Optional(
      Type.String({ minLength: 1, description: 'CA certificate(s) that sign the collector' }),
    ),
    certFile: Type.Optional(Type.String({ minLength: 1, description: 'client certificate, for mutual TLS' })),
    keyFile: Type.Optional(Type.String({ minLength: 1, description: 'client key, for mutual TLS' })),
  },
  { additionalProperties: false },
);

export const HostSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        pattern: '^[A-Za-z0-9_.-]+$',
        description: 'default: hostname',
      }),
    ),
    environment: EnvironmentSchema,
    // The collector's own rule (it tags every metric point): a config it would refuse at hello fails here.
    application: ApplicationNameSchema,
  },
  { additionalProperties: false },
);

export const DeliverySchema = Type.Object(
  {
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, description: 'default 200' })),
    flushInterval: Type.Optional(DurationSchema),
    reconnectMin: Type.Optional(DurationSchema),
    reconnectMax: Type.Optional(DurationSchema),
    heartbeat: Type.Optional(DurationSchema),
    outboxDir: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'durable outbox folder; default $VIGIE_STATE_DIR/outbox, else /var/lib/vigie-agent/outbox',
      }),
    ),
    outboxMaxBytes: Type.Optional(Type.Integer({ minimum: 65536, description: 'default 32 MiB' })),
    outboxMaxAge: Type.Optional(DurationSchema),
    fsync: Type.Optional(
      Type.Boolean({ description: 'fsync each append (survives power loss); default false' }),
    ),
  },
  { additionalProperties: false },
);

/** The keys every check has; the rest of a check entry are the options of its type. */
export const CHECK_COMMON_KEYS = ['id', 'type', 'schedule', 'timeout'] as const;

export const CheckEntrySchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' }),
    type: Type.String({ minLength: 1 }),
    schedule: Type.String({
      minLength: 1,
      description: 'cron expression; a leading seconds field is allowed',
    }),
    // Checked by parseDuration when the entry is resolved, so its error names the bad text.
    timeout: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  },
  { additionalProperties: true },
);
export type CheckEntry = Static<typeof CheckEntrySchema> & Record<string, unknown>;

export const AgentConfigSchema = Type.Object(
  {
    collector: Type.Optional(CollectorSchema),
    host: HostSchema,
    delivery: Type.Optional(DeliverySchema),
    checks: Type.Array(CheckEntrySchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type AgentConfigInput = Static<typeof AgentConfigSchema>;

/** A check entry after validation: common keys parsed, options checked against its plugin's schema. */
export interface CheckDefinition {
  id: string;
  type: string;
  schedule: string;
  timeoutMs: number;
  options: Record<string, unknown>;
}

export interface AgentConfig {
  collector:
    | {
        /** The first of `urls`. */
        url: string;
        /** Every collector URL, tried in turn on failure. */
        urls: string[];
        token: string | undefined;
        /** Where `vigie-agent enroll` writes the token (tokenFile, resolved). */
        tokenFile: string | undefined;
        tls: { ca?: string; cert?: string; key?: string };
      }
    | undefined;
  host: { name: string; environment: Static<typeof EnvironmentSchema>; application: string };
  delivery: {
    batchSize: number;
    flushIntervalMs: number;
    reconnectMinMs: number;
    reconnectMaxMs: number;
    heartbeatMs: number;
    outboxDir: string;
    outboxMaxBytes: number;
    outboxMaxAgeMs: number;
    fsync: boolean;
  };
  checks: CheckDefinition[];
}
