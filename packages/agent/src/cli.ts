#!/usr/bin/env node
// vigie-agent: run the checks on their schedules, run them once, list them, validate a config.
import { chmodSync, chownSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCheck } from './checks/registry.js';
import { DEFAULT_CONFIG_YAML } from './config/default.js';
import { ingestUrl, withCollector } from './config/edit.js';
import { ConfigError, loadConfigFile, parseConfig } from './config/load.js';
import type { AgentConfig } from './config/schema.js';
import { createLog, isLevelName } from './log.js';
import { runAllOnce } from './scheduler.js';
import { restartService } from './service.js';
import { AGENT_VERSION } from './version.js';

const SYSTEM_CONFIG = '/etc/vigie/agent.yaml';

const USAGE = `usage: vigie-agent <command> [options]

commands:
  run [--once] [--check ID] [--json]   run the checks (on their schedules, or once and print)
  checks                               list the configured checks and their schedules
  validate --config FILE               validate a config file, naming each bad key by its path
  enroll --url wss://HOST/ingest --token vge_... [--out FILE] [--ca FILE]
                                       exchange an enrollment token for this agent's credential (mode 0600),
                                       write the URL and the credential's file into the config (default
                                       /etc/vigie/agent.yaml), validate it, and (re)start the service under
                                       systemd (elsewhere: say how to start the agent)
  outbox                               how many results wait for the collector's ack (run as the agent's
                                       user, while the agent is stopped: the outbox has one user at a time)
  version                              print the version

options:
  --config FILE   config file (default: $VIGIE_AGENT_CONFIG, /etc/vigie/agent.yaml, else the embedded default)
`;

function loadConfig(path: string | undefined): Promise<AgentConfig> {
  const chosen =
    path ?? process.env.VIGIE_AGENT_CONFIG ?? (existsSync(SYSTEM_CONFIG) ? SYSTEM_CONFIG : undefined);
  return chosen ? loadConfigFile(chosen) : parseConfig(DEFAULT_CONFIG_YAML, '<embedded default>');
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  once: { type: 'boolean' },
  json: { type: 'boolean' },
  check: { type: 'string' },
  token: { type: 'string' },
  url: { type: 'string' },
  out: { type: 'string' },
  ca: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A mistake on the command line: one line and exit code 2, never a stack trace. */
class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>
  >;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split(/\.( |$)/)[0]} (see vigie-agent --help)`);
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  switch (command) {
    case 'version':
      process.stdout.write(`vigie-agent ${AGENT_VERSION}\n`);
      return 0;
    case 'validate': {
      if (!values.config) {
        process.stderr.write('validate needs --config FILE\n');
        return 2;
      }
      const config = await loadConfigFile(values.config);
      process.stdout.write(`${values.config}: valid (${config.checks.length} checks)\n`);
      return 0;
    }
    case 'enroll':
      return enrollCommand(values);
    case 'outbox': {
      const config = await loadConfig(values.config);
      const { DiskOutbox } = await import('./outbox/disk.js');
      const d = config.delivery;
      const outbox = new DiskOutbox({
        dir: d.outboxDir,
        maxBytes: d.outboxMaxBytes,
        maxAgeMs: d.outboxMaxAgeMs,
        newId: () => 'unused', // nothing is pushed
      });
      process.stdout.write(
        `${outbox.size()} entries (${outbox.sizeBytes()} bytes) wait for the collector's ack in ${d.outboxDir}` +
          `; ${outbox.dropped()} dropped past the bounds\n`,
      );
      outbox.close();
      return 0;
    }
    case 'checks': {
      const config = await loadConfig(values.config);
      for (const c of config.checks) {
        const plugin = await loadCheck(c.type);
        process.stdout.write(
          `${c.id.padEnd(24)} ${c.type.padEnd(22)} ${(plugin?.category ?? '').padEnd(12)} ${c.schedule.padEnd(20)} timeout ${c.timeoutMs / 1000}s\n`,
        );
      }
      return 0;
    }
    case 'run': {
      const config = await loadConfig(values.config);
      if (values.once) return runOnce(config, values.check, values.json === true);
      const level = process.env.VIGIE_LOG_LEVEL ?? 'info';
      if (!isLevelName(level))
        throw new UsageError(`VIGIE_LOG_LEVEL: "${level}" is not debug, info, warn or error`);
      const log = createLog({ name: 'vigie-agent', level });
      // Loaded only for a long run: `run --once`, `validate` and `enroll` start faster without it.
      const { startAgent } = await import('./agent.js');
      const agent = startAgent(config, log);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log.info({ signal }, 'stopping');
          agent.stop().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}" (see vigie-agent --help)`);
  }
}

type Values = ReturnType<
  typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>
>['values'];

/**
 * `enroll`: validate the config as it will be (so a bad one does not spend the one-time token), exchange the
 * token, write the credential (owned by the service user when run as root) and the config, then (re)start the
 * service. The config is the one given, else $VIGIE_AGENT_CONFIG, else /etc/vigie/agent.yaml (made from the
 * embedded default when missing).
 */
async function enrollCommand(values: Values): Promise<number> {
  if (!values.token) {
    throw new UsageError(
      'enroll needs --token (an enrollment token from vigie-collector enrollments create)',
    );
  }
  const configPath = resolve(values.config ?? process.env.VIGIE_AGENT_CONFIG ?? SYSTEM_CONFIG);
  const exists = existsSync(configPath);
  const before = exists ? await loadConfigFile(configPath) : undefined;
  let url: string | undefined;
  try {
    url = values.url ? ingestUrl(values.url) : before?.collector?.url;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!url)
    throw new UsageError('enroll needs --url wss://HOST/ingest (the collector this agent reports to)');
  const tokenFile = resolve(
    values.out ?? before?.collector?.tokenFile ?? resolve(dirname(configPath), 'agent.token'),
  );
  const caFile = values.ca ? resolve(values.ca) : undefined;
  const text = exists ? readFileSync(configPath, 'utf8') : DEFAULT_CONFIG_YAML;
  let edited: string;
  try {
    edited = withCollector(text, { url, tokenFile, caFile });
  } catch (err) {
    throw new ConfigError(configPath, [(err as Error).message]);
  }
  const config = await parseConfig(edited, configPath);
  const ca = caFile ? readFileSync(caFile, 'utf8') : config.collector?.tls.ca;
  // Loaded only for this command: undici is not needed by a running agent otherwise.
  const { enroll, SERVICE_USER, systemUser } = await import('./enroll.js');
  const owner = process.getuid?.() === 0 ? systemUser(SERVICE_USER) : undefined;
  const r = await enroll({
    url,
    enrollmentToken: values.token,
    host: config.host.name,
    out: tokenFile,
    ca,
    owner,
  });
  process.stdout.write(
    `enrolled as host ${r.host} of tenant ${r.tenant}; credential written to ${r.file} (mode 0600)\n`,
  );
  writeConfig(configPath, edited, owner);
  await loadConfigFile(configPath);
  process.stdout.write(`${configPath}: valid, reporting to ${url}\n`);
  process.stdout.write(`${await restartService(configPath)}\n`);
  return 0;
}

/** Replaces the config atomically; a new file is 0640, readable by the service user's group. */
function writeConfig(path: string, text: string, owner: { uid: number; gid: number } | undefined): void {
  const old = existsSync(path) ? statSync(path) : undefined;
  const tmp = `${path}.enroll-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o640 });
  chmodSync(tmp, old ? old.mode & 0o7777 : 0o640);
  if (old) chownSync(tmp, old.uid, old.gid);
  else if (owner) chownSync(tmp, 0, owner.gid);
  renameSync(tmp, path);
}

async function runOnce(config: AgentConfig, only: string | undefined, json: boolean): Promise<number> {
  const checks = only ? config.checks.filter((c) => c.id === only) : config.checks;
  if (checks.length === 0) {
    process.stderr.write(
      `no check with id "${only}" (configured: ${config.checks.map((c) => c.id).join(', ')})\n`,
    );
    return 2;
  }
  const runs = await runAllOnce(checks, { runAtStart: false });
  const results = runs.map((r) => r.result);
  if (json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    for (const r of results) {
      process.stdout.write(`${r.status.toUpperCase().padEnd(8)} ${r.checkId.padEnd(24)} ${r.message}\n`);
    }
  }
  return 0;
}

/** One line on stderr, then exit at once: nothing left running may keep a failed CLI alive. */
function fail(message: string, code: number): void {
  process.stderr.write(`${message}\n`, () => process.exit(code));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) return fail(err.message, 78); // EX_CONFIG
    if (err instanceof UsageError) return fail(`vigie-agent: ${err.message}`, 2);
    // Anything else (the collector unreachable at enroll, a file that cannot be read...): its message only,
    // the stack when asked for.
    const e = err as Error;
    const detail =
      process.env.VIGIE_DEBUG === '1' ? (e.stack ?? String(err)) : String(e.message ?? err).split('\n')[0];
    fail(`vigie-agent: ${detail}`, 1);
  },
);
