// Reads the collector's YAML config (optional: every key has an embedded default) and resolves it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TObject, TSchema, TUnion } from '@sinclair/typebox';
import { parseDuration, validate } from '@vigie/shared';
import { parse } from 'yaml';
import { type ConnectorConfig, ConnectorConfigSchema } from '../connectors/registry.js';
import { ForecastRuleError, type ForecastSettings, resolveForecastSettings } from '../forecast/rules.js';
import type { ConfirmationPolicy } from '../rules/confirmation.js';
import type { ThresholdRule } from '../rules/thresholds.js';
import type { SlaConfigError } from '../sla/config-error.js';
import { createSlaContract } from '../sla/targets.js';
import { enrollmentTtlProblem } from '../store/enrollments.js';
import type { StoreConfig } from '../store/open.js';
import { DEFAULT_CONTRACT } from '../tickets/contracts.js';
import {
  type CollectorConfigInput,
  CollectorConfigSchema,
  MetricsSinkSchema,
  StoreSchema,
} from './schema.js';

export type SinkConfig =
  | { kind: 'embedded'; path: string; retentionMs: number; maxPoints: number }
  | {
      kind: 'influx-v1';
      url: string;
      database: string;
      username?: string;
      password?: string;
      retentionPolicy?: string;
      timeoutMs: number;
    }
  | { kind: 'influx-v2'; url: string; org: string; bucket: string; token?: string; timeoutMs: number };

export interface CollectorConfig {
  listen: { host: string; port: number };
  dataDir: string;
  store: StoreConfig;
  metrics: SinkConfig;
  ingest: {
    maxFrameBytes: number;
    maxBatch: number;
    heartbeatMs: number;
    dedupeWindowMs: number;
    rateLimit: { resultsPerSecond: number; burst: number };
    revocationCheckMs: number;
    /** Group commit bounds: batches and results in one group. */
    group: { maxBatches: number; maxResults: number; concurrency: number };
    /** Past this queueing time, batches are refused with a retry delay (backpressure). */
    maxQueueDelayMs: number;
    /** How often latest results and last-seen times are written behind. */
    writeBehindMs: number;
    /** Clock skew and lead of agents within this are left alone; beyond, results are put on our clock. */
    clockToleranceMs: number;
  };
  tls:
    | { cert: string; key: string; clientCa: string | undefined; requireClientCertificate: boolean }
    | undefined;
  /** Several collectors on one PostgreSQL (see cluster/): ignored on SQLite. */
  cluster: { instance: string | undefined; leaseTtlMs: number; electionMs: number; leaseWaitMs: number };
  enrollmentTtlMs: number;
  /** The ingest URL agents reach this collector at (for the commands `enrollments create` prints). */
  publicUrl: string | undefined;
  /** For remote sinks (InfluxDB): where points wait while the sink is down or slow. */
  spool: { path: string; maxBytes: number; writeTimeoutMs: number; retryMaxMs: number; deadLetters: number };
  rules: ThresholdRule[];
  /** Forecast rules (built-in and configured) and how often they are evaluated. */
  forecasts: ForecastSettings;
  tickets: {
    policy: ConfirmationPolicy;
    reopenWindowMs: number;
    silentAgentAfterMs: number;
    sweepIntervalMs: number;
    atRiskShare: number;
  };
  /** The default SLA contract for tenants without their own (validated). */
  sla: unknown;
  connectors: ConnectorConfig[];
  maintenance: { reloadIntervalMs: number };
  /** Client reports: the monthly pass, and the Chromium that prints PDFs. */
  reports: { monthly: boolean; chromium: string | undefined };
  logLevel: string;
}

export class CollectorConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid collector config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CollectorConfigError';
  }
}

/** Validates a `{kind: ...}` union member by its kind, so errors name the real key instead of "union". */
function validateByKind(union: TUnion, value: unknown, at: string): string[] {
  const variants = union.anyOf as TObject[];
  const kinds = variants.map((v) => (v.properties.kind as TSchema & { const: string }).const);
  const kind = (value as { kind?: unknown } | undefined)?.kind;
  const variant = variants.find((v) => (v.properties.kind as TSchema & { const: string }).const === kind);
  if (!variant) return [`${at}/kind: expected one of ${kinds.join(', ')}, got ${JSON.stringify(kind)}`];
  const r = validate(variant, value);
  return r.ok ? [] : r.errors.map((e) => `${at}${e.startsWith('/:') ? e.slice(1) : e}`);
}

export function loadCollectorConfig(
  path: string | undefined,
  overrides: Partial<CollectorConfigInput> = {},
): CollectorConfig {
  let raw: unknown = {};
  const source = path ?? '<embedded default>';
  if (path) {
    try {
      raw = parse(readFileSync(path, 'utf8')) ?? {};
    } catch (err) {
      throw new CollectorConfigError(source, [(err as Error).message.split('\n')[0] as string]);
    }
  }
  const input = { ...(raw as object), ...overrides } as CollectorConfigInput;
  const problems: string[] = [];
  if (input.store !== undefined) problems.push(...validateByKind(StoreSchema, input.store, '/store'));
  if (input.metrics !== undefined)
    problems.push(...validateByKind(MetricsSinkSchema, input.metrics, '/metrics'));
  (input.connectors ?? []).forEach((c, i) => {
    problems.push(...validateByKind(ConnectorConfigSchema, c, `/connectors/${i}`));
  });
  if (input.sla !== undefined) {
    try {
      createSlaContract(input.sla);
    } catch (err) {
      const found = (err as Partial<SlaConfigError>).problems ?? [(err as Error).message];
      problems.push(...found.map((x) => `/sla${x.startsWith('/') ? '' : ': '}${x}`));
    }
  }
  if (input.enrollment?.ttl !== undefined) {
    const problem = enrollmentTtlProblem(input.enrollment.ttl);
    if (problem) problems.push(`/enrollment/ttl: ${problem}`);
  }
  const rest = { ...input, store: undefined, metrics: undefined };
  const checked = validate<CollectorConfigInput>(CollectorConfigSchema, JSON.parse(JSON.stringify(rest)));
  if (!checked.ok) problems.push(...checked.errors);
  let forecasts: ForecastSettings | undefined;
  if (checked.ok) {
    try {
      forecasts = resolveForecastSettings(input.forecasts);
    } catch (err) {
      if (!(err instanceof ForecastRuleError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0 || !forecasts) throw new CollectorConfigError(source, problems);

  const dataDir = resolve(input.dataDir ?? '.vigie');
  const tlsProblems: string[] = [];
  const ms = (v: string | number | undefined, fallback: number) =>
    v === undefined ? fallback : parseDuration(v);
  const store: StoreConfig =
    input.store?.kind === 'postgres'
      ? { kind: 'postgres', url: input.store.url, poolSize: input.store.poolSize ?? 5 }
      : { kind: 'sqlite', path: input.store?.path ?? resolve(dataDir, 'state.db') };
  const m = input.metrics;
  let metrics: SinkConfig;
  if (m === undefined || m.kind === 'embedded') {
    metrics = {
      kind: 'embedded',
      path: m?.path ?? resolve(dataDir, 'metrics.db'),
      retentionMs: ms(m?.retention, 7 * 86_400_000),
      maxPoints: m?.maxPoints ?? 5_000_000,
    };
  } else {
    const { timeout, ...restSink } = m;
    metrics = { ...restSink, timeoutMs: ms(timeout, 10_000) } as SinkConfig;
  }
  const config: CollectorConfig = {
    listen: { host: input.listen?.host ?? '127.0.0.1', port: input.listen?.port ?? 8470 },
    dataDir,
    store,
    metrics,
    ingest: {
      maxFrameBytes: input.ingest?.maxFrameBytes ?? 1024 * 1024,
      maxBatch: input.ingest?.maxBatch ?? 1000,
      heartbeatMs: ms(input.ingest?.heartbeat, 30_000),
      dedupeWindowMs: ms(input.ingest?.dedupeWindow, 7 * 86_400_000),
      rateLimit: {
        resultsPerSecond: input.ingest?.rateLimit?.resultsPerSecond ?? 500,
        burst: input.ingest?.rateLimit?.burst ?? 5000,
      },
      revocationCheckMs: ms(input.ingest?.revocationCheck, 5000),
      group: {
        maxBatches: input.ingest?.group?.maxBatches ?? 500,
        maxResults: input.ingest?.group?.maxResults ?? 5000,
        concurrency: input.ingest?.group?.concurrency ?? 2,
      },
      maxQueueDelayMs: ms(input.ingest?.maxQueueDelay, 2000),
      writeBehindMs: ms(input.ingest?.writeBehind, 1000),
      clockToleranceMs: ms(input.ingest?.clockTolerance, 2000),
    },
    tls: input.tls ? readTls(input.tls, tlsProblems) : undefined,
    cluster: {
      instance: input.cluster?.instance,
      leaseTtlMs: ms(input.cluster?.leaseTtl, 15_000),
      electionMs: ms(input.cluster?.election, 2000),
      leaseWaitMs: ms(input.cluster?.leaseWait, 30_000),
    },
    enrollmentTtlMs: ms(input.enrollment?.ttl, 86_400_000),
    publicUrl: input.enrollment?.publicUrl,
    spool: {
      path: input.spool?.path ?? resolve(dataDir, 'spool.db'),
      maxBytes: input.spool?.maxBytes ?? 256 * 1024 * 1024,
      writeTimeoutMs: ms(input.spool?.writeTimeout, 10_000),
      retryMaxMs: ms(input.spool?.retryMax, 30_000),
      deadLetters: input.spool?.deadLetters ?? 10_000,
    },
    rules: input.rules ?? [],
    forecasts,
    tickets: {
      policy: {
        failures: input.tickets?.confirm?.failures ?? 2,
        recoveries: input.tickets?.confirm?.recoveries ?? 2,
        flapChanges: input.tickets?.flapping?.changes ?? 6,
        flapWindowMs: ms(input.tickets?.flapping?.window, 3_600_000),
      },
      reopenWindowMs: ms(input.tickets?.reopenWindow, 3_600_000),
      silentAgentAfterMs: ms(input.tickets?.silentAgentAfter, 300_000),
      sweepIntervalMs: ms(input.tickets?.sweepInterval, 15_000),
      atRiskShare: input.tickets?.atRiskShare ?? 0.75,
    },
    sla: input.sla ?? DEFAULT_CONTRACT,
    connectors: (input.connectors ?? []) as ConnectorConfig[],
    maintenance: { reloadIntervalMs: ms(input.maintenance?.reloadInterval, 30_000) },
    reports: { monthly: input.reports?.monthly ?? true, chromium: input.reports?.chromium },
    logLevel: input.log?.level ?? 'info',
  };
  if (tlsProblems.length > 0) throw new CollectorConfigError(source, tlsProblems);
  return config;
}

function readTls(tls: NonNullable<CollectorConfigInput['tls']>, problems: string[]): CollectorConfig['tls'] {
  const read = (key: string, path: string | undefined): string | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      problems.push(`/tls/${key}: cannot read ${path}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const require = tls.clientCertificates === 'require';
  if (require && !tls.clientCaFile)
    problems.push("/tls/clientCaFile: required when clientCertificates is 'require'");
  return {
    cert: read('certFile', tls.certFile) ?? '',
    key: read('keyFile', tls.keyFile) ?? '',
    clientCa: read('clientCaFile', tls.clientCaFile),
    requireClientCertificate: require,
  };
}
