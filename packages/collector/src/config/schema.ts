// The collector's configuration: one schema for validation (with key paths) and the TypeScript type.
import { type Static, Type } from '@sinclair/typebox';
import { DurationSchema } from '@vigie/shared';
import { ForecastConfigSchema } from '../forecast/rules.js';
import { ThresholdRuleSchema } from '../rules/thresholds.js';

const Duration = DurationSchema;

export const StoreSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('sqlite'),
      path: Type.Optional(Type.String({ description: 'default <dataDir>/state.db' })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('postgres'),
      url: Type.String({ pattern: '^postgres(ql)?://' }),
      poolSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    },
    { additionalProperties: false },
  ),
]);

export const MetricsSinkSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('embedded'),
      path: Type.Optional(Type.String({ description: 'default <dataDir>/metrics.db' })),
      retention: Type.Optional(Duration),
      maxPoints: Type.Optional(Type.Integer({ minimum: 1000 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('influx-v1'),
      url: Type.String({ pattern: '^https?://' }),
      database: Type.String({ minLength: 1 }),
      username: Type.Optional(Type.String()),
      password: Type.Optional(Type.String()),
      retentionPolicy: Type.Optional(Type.String()),
      timeout: Type.Optional(Duration),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('influx-v2'),
      url: Type.String({ pattern: '^https?://' }),
      org: Type.String({ minLength: 1 }),
      bucket: Type.String({ minLength: 1 }),
      token: Type.Optional(Type.String()),
      timeout: Type.Optional(Duration),
    },
    { additionalProperties: false },
  ),
]);

export const CollectorConfigSchema = Type.Object(
  {
    listen: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String()),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
        },
        { additionalProperties: false },
      ),
    ),
    dataDir: Type.Optional(Type.String({ description: 'default ./.vigie' })),
    tls: Type.Optional(
      Type.Object(
        {
          certFile: Type.String({ minLength: 1, description: 'PEM server certificate (chain)' }),
          keyFile: Type.String({ minLength: 1, description: 'PEM private key' }),
          clientCaFile: Type.Optional(
            Type.String({ description: 'CA that signs agent client certificates' }),
          ),
          clientCertificates: Type.Optional(
            Type.Union([Type.Literal('none'), Type.Literal('require')], {
              description: "mutual TLS: 'require' or 'none'",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    enrollment: Type.Optional(
      Type.Object(
        {
          ttl: Type.Optional(Duration),
          publicUrl: Type.Optional(
            Type.String({
              pattern: '^wss?://[^/\\s]+',
              description: 'the ingest URL agents reach this collector at, printed by enrollments create',
            }),
          ),
        },
        { additionalProperties: false, description: 'default ttl 24h' },
      ),
    ),
    store: Type.Optional(StoreSchema),
    cluster: Type.Optional(
      Type.Object(
        {
          instance: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 100,
              description: 'name of this collector (default host-pid)',
            }),
          ),
          leaseTtl: Type.Optional(Duration),
          election: Type.Optional(Duration),
          leaseWait: Type.Optional(Duration),
        },
        { additionalProperties: false, description: 'several collectors on one PostgreSQL' },
      ),
    ),
    metrics: Type.Optional(MetricsSinkSchema),
    ingest: Type.Optional(
      Type.Object(
        {
          maxFrameBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
          maxBatch: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
          heartbeat: Type.Optional(Duration),
          dedupeWindow: Type.Optional(Duration),
          rateLimit: Type.Optional(
            Type.Object(
              {
                resultsPerSecond: Type.Optional(
                  Type.Number({ exclusiveMinimum: 0, description: 'default 500' }),
                ),
                burst: Type.Optional(Type.Integer({ minimum: 1, description: 'default 5000' })),
              },
              { additionalProperties: false },
            ),
          ),
          revocationCheck: Type.Optional(Duration),
          group: Type.Optional(
            Type.Object(
              {
                maxBatches: Type.Optional(
                  Type.Integer({ minimum: 1, maximum: 100000, description: 'default 500' }),
                ),
                maxResults: Type.Optional(
                  Type.Integer({ minimum: 1, maximum: 1000000, description: 'default 5000' }),
                ),
                concurrency: Type.Optional(
                  Type.Integer({ minimum: 1, maximum: 16, description: 'default 2' }),
                ),
              },
              { additionalProperties: false },
            ),
          ),
          maxQueueDelay: Type.Optional(Duration),
          writeBehind: Type.Optional(Duration),
          clockTolerance: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
    spool: Type.Optional(
      Type.Object(
        {
          path: Type.Optional(Type.String({ description: 'default <dataDir>/spool.db' })),
          maxBytes: Type.Optional(Type.Integer({ minimum: 1024, description: 'default 256 MiB' })),
          writeTimeout: Type.Optional(Duration),
          retryMax: Type.Optional(Duration),
          deadLetters: Type.Optional(
            Type.Integer({ minimum: 1, description: 'refused points kept for people to see; default 10000' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    rules: Type.Optional(Type.Array(ThresholdRuleSchema)),
    forecasts: Type.Optional(ForecastConfigSchema),
    sla: Type.Optional(
      Type.Unknown({
        description: 'the default SLA contract (calendar, response, resolution, atRiskShare); see sla/',
      }),
    ),
    connectors: Type.Optional(
      Type.Array(Type.Unknown(), { description: 'webhook, pagerduty and email connectors' }),
    ),
    tickets: Type.Optional(
      Type.Object(
        {
          confirm: Type.Optional(
            Type.Object(
              {
                failures: Type.Optional(
                  Type.Integer({ minimum: 1, description: 'consecutive non-ok results; default 2' }),
                ),
                recoveries: Type.Optional(
                  Type.Integer({ minimum: 1, description: 'consecutive ok results; default 2' }),
                ),
              },
              { additionalProperties: false },
            ),
          ),
          flapping: Type.Optional(
            Type.Object(
              {
                changes: Type.Optional(
                  Type.Integer({ minimum: 2, description: 'state changes in the window; default 6' }),
                ),
                window: Type.Optional(Duration),
              },
              { additionalProperties: false },
            ),
          ),
          reopenWindow: Type.Optional(Duration),
          silentAgentAfter: Type.Optional(Duration),
          sweepInterval: Type.Optional(Duration),
          atRiskShare: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              maximum: 1,
              description: 'share of a target used that flags at risk; default 0.75',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    maintenance: Type.Optional(
      Type.Object(
        {
          reloadInterval: Type.Optional(
            Type.Union(Duration.anyOf, {
              description:
                'how often windows made through another collector sharing the store are picked up; default 30s',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    reports: Type.Optional(
      Type.Object(
        {
          monthly: Type.Optional(
            Type.Boolean({
              description: "each tenant's report of the previous month on the 1st; default true",
            }),
          ),
          chromium: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'Chromium that prints PDFs; default: /usr/bin/chromium & co.',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    log: Type.Optional(
      Type.Object(
        {
          level: Type.Optional(
            Type.Union(['trace', 'debug', 'info', 'warn', 'error'].map((l) => Type.Literal(l))),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CollectorConfigInput = Static<typeof CollectorConfigSchema>;
