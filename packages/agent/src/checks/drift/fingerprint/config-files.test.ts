import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckContext, CheckOutcome } from '../../types.js';
import { MAX_PARSED_BYTES } from './config-files.js';
import { fingerprintCheck } from './index.js';
import type { FingerprintOptions } from './options.js';

// Every secret below must be absent from the whole outcome, whatever the format it was written in.
const SECRETS = {
  envPassword: 'env-Pa55word-7a1c',
  envApiKey: 'env-api-key-93bd0e',
  envUrlPassword: 'url-pw-5e2f',
  iniPassword: 'ini-Pa55word-c0de',
  propertiesPassword: 'props-secret-41aa',
  jdbcPassword: 'jdbc-pw-2b7d',
  keyvaluePassword: 'kv-requirepass-8f3e',
  jsonToken: 'json-token-d00d',
  jsonNested: 'json-nested-secret-11ee',
  yamlPassword: 'yaml-pw-3c3c',
  shared: 'the-same-database-password-42',
  inBrokenJson: 'broken-json-secret-66ff',
  inBigFile: 'big-file-secret-77aa',
} as const;

const FILES: Record<string, string> = {
  '.env': [
    '# application settings',
    'DB_HOST=db.internal',
    `DB_PASSWORD=${SECRETS.envPassword}`,
    `export API_KEY="${SECRETS.envApiKey}"`,
    `DATABASE_URL=postgres://app:${SECRETS.envUrlPassword}@db.internal:5432/app`,
    `SHARED_DB_PASSWORD=${SECRETS.shared}`,
    'LOG_LEVEL=info',
  ].join('\n'),
  'php.ini': ['[PHP]', 'memory_limit = 256M', '[mail]', `smtp_password = "${SECRETS.iniPassword}"`].join(
    '\n',
  ),
  'application.properties': [
    'server.port=8080',
    `spring.datasource.password=${SECRETS.propertiesPassword}`,
    `spring.datasource.url=jdbc:postgresql://db/app?user=app&password=${SECRETS.jdbcPassword}`,
  ].join('\n'),
  'redis.conf': ['port 6379', `requirepass ${SECRETS.keyvaluePassword}`, 'maxmemory 2gb'].join('\n'),
  'settings.json': JSON.stringify({
    service: { name: 'billing', replicas: 2 },
    github: { token: SECRETS.jsonToken },
    credentials: [{ user: 'batch', value: SECRETS.jsonNested }],
  }),
  'config.yaml': [
    'database:',
    '  host: db.internal',
    `  password: ${SECRETS.yamlPassword}`,
    `  shared_password: ${SECRETS.shared}`,
    'features: [search, export]',
  ].join('\n'),
  'plain.json': '{"region":"eu-west-3","workers":4}\n',
  'broken.json': `{"password": "${SECRETS.inBrokenJson}"`,
};

let folder: string;
let keyA: string;
let keyB: string;
const at = (name: string) => join(folder, name);
const context = (): CheckContext => ({
  signal: new AbortController().signal,
  now: () => new Date(),
  state: new Map(),
});
const run = (options: FingerprintOptions): Promise<CheckOutcome> =>
  fingerprintCheck.run({ packages: false, runtimes: false, ...options }, context());
const everyFile = (): FingerprintOptions['configFiles'] => [
  ...Object.keys(FILES).map((name) => ({ path: at(name) })),
  // A key=value file whose name says nothing: its format is given.
  { path: at('redis.conf'), format: 'keyvalue' as const },
  { path: at('big.log') },
  { path: at('missing.env') },
  { path: at('a-folder') },
];

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'vigie-config-'));
  for (const [name, text] of Object.entries(FILES)) await writeFile(at(name), text);
  // Over the parsing limit: hashed only, even though it holds a secret-looking line.
  await writeFile(at('big.log'), `password=${SECRETS.inBigFile}\n${'x'.repeat(MAX_PARSED_BYTES)}`);
  await mkdir(at('a-folder'));
  keyA = at('key-a');
  keyB = at('key-b');
  await writeFile(keyA, 'provider-shared-key-for-application-billing\n');
  await writeFile(keyB, 'a-different-key-of-another-provider-host\n');
});
afterAll(() => rm(folder, { recursive: true, force: true }));

describe('configuration files in the fingerprint', () => {
  it('never lets a secret value out, in any format, anywhere in the outcome', async () => {
    const outcome = await run({ configFiles: everyFile(), secretHashKeyFile: keyA });
    expect(outcome.status).toBe('ok');
    const everything = JSON.stringify(outcome);
    for (const secret of Object.values(SECRETS)) expect(everything).not.toContain(secret);
  });

  it('sends secret values as keyed hashes and every other value in clear', async () => {
    const snapshot = (await run({ configFiles: everyFile(), secretHashKeyFile: keyA })).snapshot ?? {};
    const item = (file: string, key: string) => snapshot[`config.${at(file)}.${key}`];
    expect(item('.env', 'DB_HOST')).toBe('db.internal');
    expect(item('.env', 'LOG_LEVEL')).toBe('info');
    expect(item('.env', 'DB_PASSWORD')).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(item('.env', 'API_KEY')).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(item('.env', 'DATABASE_URL')).toMatch(
      /^postgres:\/\/app:hmac-sha256:[0-9a-f]{64}@db\.internal:5432\/app$/,
    );
    expect(item('php.ini', 'PHP.memory_limit')).toBe('256M');
    expect(item('php.ini', 'mail.smtp_password')).toMatch(/^hmac-sha256:/);
    expect(item('application.properties', 'server.port')).toBe('8080');
    expect(item('application.properties', 'spring.datasource.password')).toMatch(/^hmac-sha256:/);
    expect(item('application.properties', 'spring.datasource.url')).toMatch(
      /^jdbc:postgresql:\/\/db\/app\?user=app&password=hmac-sha256:[0-9a-f]{64}$/,
    );
    expect(item('redis.conf', 'port')).toBe('6379');
    expect(item('redis.conf', 'maxmemory')).toBe('2gb');
    // Redis's `requirepass` is caught by the `pass` fragment.
    expect(item('redis.conf', 'requirepass')).toMatch(/^hmac-sha256:/);
    expect(item('settings.json', 'service.name')).toBe('billing');
    expect(item('settings.json', 'service.replicas')).toBe('2');
    expect(item('settings.json', 'github.token')).toMatch(/^hmac-sha256:/);
    expect(item('settings.json', 'credentials[0].user')).toMatch(/^hmac-sha256:/);
    expect(item('config.yaml', 'database.host')).toBe('db.internal');
    expect(item('config.yaml', 'database.password')).toMatch(/^hmac-sha256:/);
    expect(item('config.yaml', 'features[1]')).toBe('export');
    expect(snapshot['secret.key.id']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('hashes equal secrets equal under one key, and differently under another key', async () => {
    const underA = (await run({ configFiles: everyFile(), secretHashKeyFile: keyA })).snapshot ?? {};
    const underB = (await run({ configFiles: everyFile(), secretHashKeyFile: keyB })).snapshot ?? {};
    const envShared = `config.${at('.env')}.SHARED_DB_PASSWORD`;
    const yamlShared = `config.${at('config.yaml')}.database.shared_password`;
    // The same password in two files (or on two hosts sharing the key file) compares equal...
    expect(underA[envShared]).toMatch(/^hmac-sha256:/);
    expect(underA[envShared]).toBe(underA[yamlShared]);
    expect(underA[`config.${at('.env')}.DB_PASSWORD`]).not.toBe(underA[envShared]);
    // ...and a host with another key cannot be compared: the hashes and the key ids differ.
    expect(underB[envShared]).toBe(underB[yamlShared]);
    expect(underB[envShared]).not.toBe(underA[envShared]);
    expect(underB['secret.key.id']).not.toBe(underA['secret.key.id']);
    // Non-secret values do not depend on the key.
    expect(underB[`config.${at('.env')}.DB_HOST`]).toBe(underA[`config.${at('.env')}.DB_HOST`]);
  });

  it('hashes a file in clear only when all its values are sent in clear', async () => {
    const snapshot = (await run({ configFiles: everyFile(), secretHashKeyFile: keyA })).snapshot ?? {};
    const plain = createHash('sha256')
      .update(FILES['plain.json'] ?? '')
      .digest('hex');
    expect(snapshot[`file.${at('plain.json')}.sha256`]).toBe(plain);
    expect(snapshot[`file.${at('plain.json')}.format`]).toBe('json');
    expect(snapshot[`file.${at('.env')}.sha256`]).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(snapshot[`file.${at('.env')}.format`]).toBe('env');
    expect(snapshot[`file.${at('redis.conf')}.format`]).toBe('keyvalue');
  });

  it('reports unreadable, unparsable and oversized files as items, the check staying ok', async () => {
    const outcome = await run({ configFiles: everyFile(), secretHashKeyFile: keyA });
    const snapshot = outcome.snapshot ?? {};
    expect(outcome.status).toBe('ok');
    expect(snapshot[`file.${at('missing.env')}.error`]).toBe('ENOENT');
    expect(snapshot[`file.${at('a-folder')}.error`]).toBe('EISDIR');
    expect(snapshot[`file.${at('broken.json')}.parse_error`]).toBe('invalid json');
    expect(snapshot[`file.${at('broken.json')}.sha256`]).toMatch(/^hmac-sha256:/);
    expect(snapshot[`file.${at('big.log')}.format`]).toBe('hash');
    expect(snapshot[`file.${at('big.log')}.sha256`]).toMatch(/^hmac-sha256:/);
    expect(Object.keys(snapshot).some((key) => key.startsWith(`config.${at('big.log')}`))).toBe(false);
    expect(outcome.metrics.config_file_errors).toBe(2);
    expect(outcome.message).toContain('12 config files (2 unreadable)');
  });

  it('hashes keys from a configured secret list, which replaces the default one', async () => {
    const configFiles = [{ path: at('redis.conf'), format: 'keyvalue' as const }];
    const snapshot =
      (await run({ configFiles, secretKeys: ['maxmemory'], secretHashKeyFile: keyA })).snapshot ?? {};
    expect(snapshot[`config.${at('redis.conf')}.maxmemory`]).toMatch(/^hmac-sha256:/);
    // Replaced, not extended: a list that forgets `pass` sends Redis's password in clear (see the README).
    expect(snapshot[`config.${at('redis.conf')}.requirepass`]).toBe(SECRETS.keyvaluePassword);
  });

  it('redacts secrets, never sends them, when the configured key file is missing', async () => {
    const outcome = await run({ configFiles: everyFile(), secretHashKeyFile: at('no-such.key') });
    const snapshot = outcome.snapshot ?? {};
    expect(outcome.status).toBe('ok');
    expect(snapshot['secret.key.error']).toBe('ENOENT');
    expect(snapshot['secret.key.id']).toBeUndefined();
    expect(snapshot[`config.${at('.env')}.DB_PASSWORD`]).toBe('redacted');
    expect(snapshot[`file.${at('.env')}.sha256`]).toBe('redacted');
    expect(snapshot[`config.${at('.env')}.DB_HOST`]).toBe('db.internal');
    expect(outcome.message).toContain('secret key file unusable (ENOENT)');
    const everything = JSON.stringify(outcome);
    for (const secret of Object.values(SECRETS)) expect(everything).not.toContain(secret);
  });

  it('creates its key in the agent state folder when none is configured', async () => {
    const stateDir = at('state');
    const before = process.env.VIGIE_STATE_DIR;
    process.env.VIGIE_STATE_DIR = stateDir;
    try {
      const first = await run({ configFiles: [{ path: at('.env') }] });
      const keyFile = join(stateDir, 'fingerprint.key');
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      expect(await readFile(keyFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
      const second = await run({ configFiles: [{ path: at('.env') }] });
      expect(second.snapshot?.['secret.key.id']).toBe(first.snapshot?.['secret.key.id']);
      const password = `config.${at('.env')}.DB_PASSWORD`;
      expect(second.snapshot?.[password]).toBe(first.snapshot?.[password]);
    } finally {
      if (before === undefined) delete process.env.VIGIE_STATE_DIR;
      else process.env.VIGIE_STATE_DIR = before;
    }
  });

  it('creates no key file when no configuration file is listed', async () => {
    const stateDir = at('state-unused');
    const before = process.env.VIGIE_STATE_DIR;
    process.env.VIGIE_STATE_DIR = stateDir;
    try {
      const outcome = await run({});
      expect(Object.keys(outcome.snapshot ?? {}).some((key) => key.startsWith('secret.'))).toBe(false);
      await expect(stat(stateDir)).rejects.toThrow(/ENOENT/);
    } finally {
      if (before === undefined) delete process.env.VIGIE_STATE_DIR;
      else process.env.VIGIE_STATE_DIR = before;
    }
  });
});
