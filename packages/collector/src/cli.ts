#!/usr/bin/env node
// vigie-collector: serve, and manage tenants, agent tokens and API keys.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createIdGenerator, parseDuration } from '@vigie/shared';
import pino from 'pino';
import { type CollectorConfig, CollectorConfigError, loadCollectorConfig } from './config/load.js';
import { agentIngestUrl, formatOnboarding, onboardingCommands } from './onboarding/commands.js';
import { ArchiveError } from './reversibility/archive.js';
import { TenantCommandError, tenantCommand } from './reversibility/cli.js';
import { ImportError } from './reversibility/import.js';
import { collectorMigrations } from './schema-migrations.js';
import {
  createAgentToken,
  createApiKey,
  findAgentToken,
  findApiKey,
  revokeAgentToken,
} from './store/credentials.js';
import { createEnrollment, enrollmentTtlProblem } from './store/enrollments.js';
import { openStore } from './store/open.js';
import { addTenant, getTenant, listTenants, TenantError } from './store/tenants.js';

const USAGE = `usage: vigie-collector <command> [options]

commands:
  serve                                start the collector (HTTP API, NOC page, WebSocket ingest)
  tenants add ID [--name NAME]         add a tenant (a client company)
  tenants list
  tokens create --tenant ID [--host H] create an agent token (shown once; only its hash is kept)
  tokens revoke TOKEN_ID               revoke an agent token
  keys create [--tenant ID] [--name N] [--role provider|client]
                                       create an API key (no --tenant: a provider key that sees every tenant;
                                       --role client: read-only for its tenant, may comment and open requests)
  enrollments create --tenant ID [--host H] [--ttl 24h] [--url wss://HOST/ingest]
                                       create a one-time enrollment token and print the two commands that
                                       onboard a server (install the package, then \`vigie-agent enroll\`);
                                       --url: the URL agents reach this collector at (default: the config's
                                       enrollment.publicUrl)
  bootstrap --out FILE [--tenant ID]   idempotent first-run setup: tenant, agent token, provider key in FILE (0600)
  tenant export ID --out FILE          the tenant's data in one self-describing archive (no credential)
  tenant import FILE                   an archive made by tenant export into this collector
  tenant purge ID [--yes]              erase every row and metric point of the tenant (without --yes: what it would)

options:
  --config FILE   collector config (YAML); default: embedded defaults
  --data-dir DIR  where the embedded stores live (default: the config's; without --config, $VIGIE_DATA_DIR
                  or ./.vigie)
  --host H --port N   listen address for serve (default: the config's; without --config, 127.0.0.1 and
                  $VIGIE_PORT or 8470)
`;

const newId = createIdGenerator();
/** The release (agent packages carry the same version), from this package's manifest (dist/ and src/ alike). */
const RELEASE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  tenant: { type: 'string' },
  name: { type: 'string' },
  out: { type: 'string' },
  ttl: { type: 'string' },
  role: { type: 'string' },
  url: { type: 'string' },
  yes: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv);
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const overrides: Record<string, unknown> = {};
  // Without a config file the environment stands in for it, as for the quick start: $VIGIE_DATA_DIR and
  // $VIGIE_PORT. With one, the file decides (and the flags over it): a stray variable cannot move its data.
  const env = values.config === undefined ? process.env : {};
  const dataDir = values['data-dir'] ?? env.VIGIE_DATA_DIR;
  if (dataDir) overrides.dataDir = dataDir;
  const config = loadCollectorConfig(values.config, overrides);
  if (command === 'serve') {
    if (positionals.length > 1) throw new UsageError(`serve takes no argument (got "${positionals[1]}")`);
    const port = values.port ?? env.VIGIE_PORT;
    config.listen = {
      host: values.host ?? config.listen.host,
      port: port === undefined ? config.listen.port : parsePort(port),
    };
    return serve(config);
  }
  if (command === 'tenant') {
    try {
      return await tenantCommand(sub, arg, { out: values.out, yes: values.yes }, config, (l) =>
        process.stdout.write(`${l}\n`),
      );
    } catch (err) {
      if (err instanceof TenantCommandError || err instanceof ImportError || err instanceof ArchiveError)
        throw new UsageError(err.message);
      throw err;
    }
  }
  const store = await openStore(config.store, collectorMigrations);
  const db = store.db;
  const now = new Date();
  try {
    switch (`${command} ${sub ?? ''}`.trim()) {
      case 'tenants add': {
        if (!arg) throw new UsageError('tenants add needs an ID');
        await addTenant(db, arg, values.name ?? arg, now);
        process.stdout.write(`tenant ${arg} added\n`);
        return 0;
      }
      case 'tenants list':
        for (const t of await listTenants(db)) process.stdout.write(`${t.id}\t${t.name}\t${t.created_at}\n`);
        return 0;
      case 'tokens create': {
        const tenant = await requireTenant(db, values.tenant);
        if (values.host !== undefined) checkHost(values.host);
        const t = await createAgentToken(db, { id: newId(), tenantId: tenant, host: values.host, now });
        process.stdout.write(
          `token id: ${t.id}\ntoken:    ${t.token}\n(store it now: only its hash is kept)\n`,
        );
        return 0;
      }
      case 'tokens revoke': {
        if (!arg) throw new UsageError('tokens revoke needs a TOKEN_ID');
        const done = await revokeAgentToken(db, arg, now);
        process.stdout.write(done ? `token ${arg} revoked\n` : `no active token ${arg}\n`);
        return done ? 0 : 1;
      }
      case 'keys create': {
        const tenant = values.tenant ? await requireTenant(db, values.tenant) : null;
        const role = values.role ?? 'provider';
        if (role !== 'provider' && role !== 'client')
          throw new UsageError(`--role: provider or client, not "${role}"`);
        if (role === 'client' && tenant === null) throw new UsageError('--role client needs --tenant');
        const name = values.name ?? 'cli';
        const k = await createApiKey(db, { id: newId(), tenantId: tenant, name, now, role });
        process.stdout.write(
          `key id: ${k.id}\nkey:    ${k.key}\nscope:  ${tenant ?? 'provider (all tenants)'}\nrole:   ${role}\n`,
        );
        return 0;
      }
      case 'enrollments create': {
        const tenant = await requireTenant(db, values.tenant);
        if (values.host !== undefined) checkHost(values.host);
        const publicUrl = values.url ?? config.publicUrl;
        let url: string | undefined;
        try {
          url = publicUrl === undefined ? undefined : agentIngestUrl(publicUrl);
        } catch (err) {
          throw new UsageError(`--url: ${(err as Error).message}`);
        }
        const ttlProblem = values.ttl === undefined ? undefined : enrollmentTtlProblem(values.ttl);
        if (ttlProblem) throw new UsageError(`--ttl: ${ttlProblem}`);
        const ttlMs = values.ttl ? parseDuration(values.ttl) : config.enrollmentTtlMs;
        const e = await createEnrollment(db, {
          id: newId(),
          tenantId: tenant,
          host: values.host,
          ttlMs,
          now,
        });
        process.stdout.write(
          `enrollment id: ${e.id}\nenrollment token: ${e.token}\nexpires: ${e.expiresAt}\n` +
            formatOnboarding(
              onboardingCommands({ url: url ?? '<collector URL>', token: e.token, version: RELEASE_VERSION }),
            ),
        );
        if (url === undefined)
          process.stderr.write(
            'vigie-collector: no public URL: pass --url wss://HOST/ingest or set enrollment.publicUrl\n',
          );
        return 0;
      }
      case 'bootstrap':
        return await bootstrap(db, values.out, values.tenant ?? 'local', now);
      default:
        throw new UsageError(`unknown command "${positionals.join(' ')}"`);
    }
  } finally {
    await store.close();
  }
}

class UsageError extends Error {}

/** The command line, or a UsageError naming the unknown or malformed option (never a stack trace). */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split(/\.( |$)/)[0]} (see vigie-collector --help)`);
  }
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535)
    throw new UsageError(`--port: "${text}" is not a port (0 to 65535)`);
  return port;
}

const HOST_NAME = /^[A-Za-z0-9_.-]{1,253}$/;
function checkHost(host: string): void {
  if (!HOST_NAME.test(host))
    throw new UsageError(`--host: "${host}" is not a host name (letters, digits, _ . and -, at most 253)`);
}

async function requireTenant(db: Parameters<typeof getTenant>[0], id: string | undefined): Promise<string> {
  if (!id) throw new UsageError('--tenant ID is required');
  if (!(await getTenant(db, id)))
    throw new UsageError(`no tenant "${id}" (add it with: vigie-collector tenants add ${id})`);
  return id;
}

interface BootstrapFile {
  tenant: string;
  agentToken: string;
  apiKey: string;
}

/** First-run setup for the quick start: reuses FILE's credentials while the store still knows them. */
async function bootstrap(
  db: Parameters<typeof getTenant>[0],
  out: string | undefined,
  tenant: string,
  now: Date,
): Promise<number> {
  if (!out) throw new UsageError('bootstrap needs --out FILE');
  if (existsSync(out)) {
    let prev: BootstrapFile;
    try {
      prev = JSON.parse(readFileSync(out, 'utf8')) as BootstrapFile;
    } catch (err) {
      throw new UsageError(
        `${out} is not a bootstrap file (${(err as Error).message}): remove it to start over`,
      );
    }
    const token = await findAgentToken(db, prev.agentToken);
    if (token && token.revoked_at === null && (await findApiKey(db, prev.apiKey))) {
      process.stdout.write(`bootstrap: reusing ${out}\n`);
      return 0;
    }
  }
  if (!(await getTenant(db, tenant))) await addTenant(db, tenant, tenant, now);
  const t = await createAgentToken(db, { id: newId(), tenantId: tenant, now });
  const k = await createApiKey(db, { id: newId(), tenantId: null, name: 'quickstart provider key', now });
  const file: BootstrapFile = { tenant, agentToken: t.token, apiKey: k.key };
  writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  process.stdout.write(`bootstrap: wrote ${out}\n`);
  return 0;
}

async function serve(config: CollectorConfig): Promise<number> {
  const log = pino({ name: 'vigie-collector', level: config.logLevel });
  // Loaded only to serve: the other commands start faster without the HTTP stack.
  const { buildCollector } = await import('./app.js');
  const collector = await buildCollector(config, { log });
  let url: string;
  try {
    url = await collector.listen();
  } catch (err) {
    await collector
      .close()
      .catch((closing: Error) => log.error({ err: closing.message }, 'error while stopping'));
    const e = err as NodeJS.ErrnoException;
    const where = `${config.listen.host}:${config.listen.port}`;
    const why =
      e.code === 'EADDRINUSE'
        ? `port ${config.listen.port} is already in use (another collector? set --port or VIGIE_PORT)`
        : e.code === 'EACCES'
          ? `port ${config.listen.port} needs privileges this user lacks`
          : e.message;
    throw new ListenError(`cannot listen on ${where}: ${why}`);
  }
  log.info({ url, store: config.store.kind, metrics: config.metrics.kind }, 'collector listening');
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      collector.close().then(resolve, (err: Error) => {
        log.error({ err: err.message }, 'error while stopping');
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

class ListenError extends Error {}

/** One line on stderr, then exit at once: nothing left running (timers, sockets) may keep a failed CLI alive. */
function fail(message: string, code: number): void {
  process.stderr.write(`${message}\n`, () => process.exit(code));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CollectorConfigError) return fail(err.message, 78);
    if (err instanceof UsageError || err instanceof TenantError)
      return fail(`vigie-collector: ${err.message}`, 2);
    if (err instanceof ListenError) return fail(`vigie-collector: ${err.message}`, 1);
    // Anything else (the store unreachable, a disk full...): the message, and the stack only when asked for.
    const e = err as Error;
    const detail =
      process.env.VIGIE_DEBUG === '1' ? (e.stack ?? String(err)) : String(e.message ?? err).split('\n')[0];
    fail(`vigie-collector: ${detail}`, 1);
  },
);
