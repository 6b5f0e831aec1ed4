// Reads a YAML config, validates it against the schema and each check's option schema, and resolves defaults.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { validate } from '@vigie/shared';
import { parseDocument } from 'yaml';
import { checkTypes, loadChecks } from '../checks/registry.js';
import type { CheckPlugin } from '../checks/types.js';
import { parseCron } from '../cron.js';
import { parseDuration } from './duration.js';
import {
  type AgentConfig,
  type AgentConfigInput,
  AgentConfigSchema,
  CHECK_COMMON_KEYS,
  type CheckDefinition,
} from './schema.js';

const DEFAULT_TIMEOUT_MS = 30_000;

/** A config that cannot be used; `problems` name each bad key by its path. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates a config file; loads the plugins of the check types it names (and only those). */
export async function loadConfigFile(path: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read file: ${(err as Error).message}`]);
  }
  return parseConfig(text, path);
}

export async function parseConfig(text: string, source = '<config>'): Promise<AgentConfig> {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`),
    );
  }
  const raw: unknown = doc.toJS();
  const checked = validate<AgentConfigInput>(AgentConfigSchema, raw);
  if (!checked.ok) throw new ConfigError(source, checked.errors);
  const input = checked.value;
  const problems: string[] = [];
  // Only the configured types are loaded, so only their option schemas are ever compiled.
  const plugins = await loadChecks(input.checks.map((c) => c.type));
  const checks = input.checks.map((entry, i) =>
    resolveCheck(entry as Record<string, unknown>, i, plugins, problems),
  );
  const seen = new Set<string>();
  input.checks.forEach((c, i) => {
    if (seen.has(c.id)) problems.push(`/checks/${i}/id: duplicate check id "${c.id}"`);
    seen.add(c.id);
  });
  const duration = (path: string, v: string | number | undefined, fallback: number) => {
    if (v === undefined) return fallback;
    try {
      return parseDuration(v);
    } catch (err) {
      problems.push(`${path}: ${(err as Error).message}`);
      return fallback;
    }
  };
  const d = input.delivery ?? {};
  const delivery = {
    batchSize: d.batchSize ?? 200,
    flushIntervalMs: duration('/delivery/flushInterval', d.flushInterval, 1000),
    reconnectMinMs: duration('/delivery/reconnectMin', d.reconnectMin, 1000),
    reconnectMaxMs: duration('/delivery/reconnectMax', d.reconnectMax, 60_000),
    heartbeatMs: duration('/delivery/heartbeat', d.heartbeat, 30_000),
    outboxDir: d.outboxDir
      ? resolve(dirname(source), d.outboxDir)
      : join(process.env.VIGIE_STATE_DIR ?? '/var/lib/vigie-agent', 'outbox'),
    outboxMaxBytes: d.outboxMaxBytes ?? 32 * 1024 * 1024,
    outboxMaxAgeMs: duration('/delivery/outboxMaxAge', d.outboxMaxAge, 7 * 86_400_000),
    fsync: d.fsync ?? false,
  };
  let collector: AgentConfig['collector'];
  if (input.collector) {
    const c = input.collector;
    const fileAt = (p: string) => resolve(dirname(source), p);
    const read = (key: string, p: string | undefined): string | undefined => {
      if (p === undefined) return undefined;
      try {
        return readFileSync(fileAt(p), 'utf8');
      } catch (err) {
        problems.push(`/collector/${key}: cannot read ${fileAt(p)}: ${(err as Error).message}`);
        return undefined;
      }
    };
    let token = c.token;
    const tokenFile = c.tokenFile ? fileAt(c.tokenFile) : undefined;
    // A missing token file is not an error here: `vigie-agent enroll` is about to write it.
    if (tokenFile && existsSync(tokenFile)) token = read('tokenFile', c.tokenFile)?.trim();
    if ((c.certFile === undefined) !== (c.keyFile === undefined)) {
      problems.push('/collector: certFile and keyFile go together (mutual TLS)');
    }
    const urls = typeof c.url === 'string' ? [c.url] : c.url;
    collector = {
      url: urls[0] as string,
      urls,
      token,
      tokenFile,
      tls: {
        ca: read('caFile', c.caFile),
        cert: read('certFile', c.certFile),
        key: read('keyFile', c.keyFile),
      },
    };
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return {
    collector,
    host: {
      name: input.host.name ?? hostname(),
      environment: input.host.environment,
      application: input.host.application,
    },
    delivery,
    checks,
  };
}

function resolveCheck(
  entry: Record<string, unknown>,
  index: number,
  plugins: ReadonlyMap<string, CheckPlugin>,
  problems: string[],
): CheckDefinition {
  const at = `/checks/${index}`;
  const type = String(entry.type);
  const schedule = String(entry.schedule);
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) {
    if (!(CHECK_COMMON_KEYS as readonly string[]).includes(k)) options[k] = v;
  }
  const cron = parseCron(schedule);
  if (typeof cron === 'string') {
    problems.push(`${at}/schedule: "${schedule}" is not a valid cron expression: ${cron}`);
  }
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (entry.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(entry.timeout as string | number);
    } catch (err) {
      problems.push(`${at}/timeout: ${(err as Error).message}`);
    }
  }
  const plugin = plugins.get(type);
  if (!plugin) {
    problems.push(`${at}/type: unknown check type "${type}" (known: ${checkTypes().join(', ')})`);
  } else {
    const result = validate(plugin.options, options);
    // Option errors come as `/key: message`, or `/: message` for the entry itself.
    if (!result.ok)
      for (const e of result.errors) problems.push(`${at}${e.startsWith('/:') ? e.slice(1) : e}`);
  }
  return { id: String(entry.id), type, schedule, timeoutMs, options };
}
