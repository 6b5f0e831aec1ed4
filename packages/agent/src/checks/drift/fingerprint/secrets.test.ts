import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_KEYS } from './options.js';
import { loadSecretHashKey } from './secret-key.js';
import { hashSecretsInValue, REDACTED, secretHasher, secretKeyId, secretKeyMatcher } from './secrets.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef', 'utf8');
const hash = secretHasher(key);
const isSecret = secretKeyMatcher(DEFAULT_SECRET_KEYS);

describe('secret keys and values', () => {
  it('matches key names containing a secret fragment, case ignored', () => {
    for (const name of [
      'DB_PASSWORD',
      'db.passwd',
      'client_secret',
      'auth.token',
      'API_KEY',
      'apiKey',
      'Credentials[0]',
    ])
      expect(isSecret(name)).toBe(true);
    for (const name of ['DB_HOST', 'port', 'log_level', 'timezone']) expect(isSecret(name)).toBe(false);
    expect(secretKeyMatcher(['pin'])('CARD_PIN')).toBe(true);
  });

  it('hashes with HMAC-SHA256 under the key: equal under one key, different under another', () => {
    const expected = createHmac('sha256', key).update('hunter2').digest('hex');
    expect(hash('hunter2')).toBe(`hmac-sha256:${expected}`);
    expect(hash('hunter2')).toBe(hash('hunter2'));
    expect(secretHasher(Buffer.from('another key, also 32 characters!'))('hunter2')).not.toBe(
      hash('hunter2'),
    );
    expect(secretHasher(undefined)('hunter2')).toBe(REDACTED);
  });

  it('names a key by an id that differs between keys and reveals nothing of them', () => {
    expect(secretKeyId(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(secretKeyId(key)).not.toBe(secretKeyId(Buffer.from('another key, also 32 characters!')));
  });

  it('hashes the secrets inside a value whose key does not look secret', () => {
    const cases: [string, string][] = [
      ['postgres://app:pw@db:5432/app', `postgres://app:${hash('pw')}@db:5432/app`],
      ['postgres://app:p@ss:w0rd@db/app', `postgres://app:${hash('p@ss:w0rd')}@db/app`],
      ['redis://:pw@cache:6379/0', `redis://:${hash('pw')}@cache:6379/0`],
      ['https://ghp_tok@github.com/org/repo.git', `https://${hash('ghp_tok')}@github.com/org/repo.git`],
      [
        'jdbc:postgresql://db/app?user=app&password=pw&ssl=true',
        `jdbc:postgresql://db/app?user=app&password=${hash('pw')}&ssl=true`,
      ],
      ['jdbc:sqlserver://db;user=app;password=pw', `jdbc:sqlserver://db;user=app;password=${hash('pw')}`],
      ['host=db user=app password=pw dbname=app', `host=db user=app password=${hash('pw')} dbname=app`],
      ['-Xmx2g -Djavax.net.ssl.keyStorePassword=pw', `-Xmx2g -Djavax.net.ssl.keyStorePassword=${hash('pw')}`],
      ['user = app\npassword = pw', `user = app\npassword = ${hash('pw')}`],
    ];
    for (const [value, expected] of cases) expect(hashSecretsInValue(value, isSecret, hash)).toBe(expected);
  });

  it('leaves ordinary values alone', () => {
    for (const value of [
      'Europe/Paris',
      'https://example.com/path?page=2',
      'a=b c=d',
      '128MB',
      'user@example.com',
    ])
      expect(hashSecretsInValue(value, isSecret, hash)).toBe(value);
  });
});

describe('the HMAC key file', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'vigie-key-'));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it('is created on first use, 32 random bytes in hex, readable by the agent only', async () => {
    const path = join(folder, 'state', 'fingerprint.key');
    const first = await loadSecretHashKey(path, true);
    const text = await readFile(path, 'utf8');
    expect(text).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(first).toEqual({ key: Buffer.from(text.trim()) });
    // The next run reads the same key: hashes stay comparable over time.
    expect(await loadSecretHashKey(path, true)).toEqual(first);
  });

  it('reads a key file written by the provider, whitespace around it ignored', async () => {
    const path = join(folder, 'shared.key');
    await writeFile(path, '  a-shared-key-of-at-least-32-characters  \n');
    expect(await loadSecretHashKey(path, false)).toEqual({
      key: Buffer.from('a-shared-key-of-at-least-32-characters'),
    });
  });

  it('never creates a configured key file that is missing, and refuses a short key', async () => {
    const missing = join(folder, 'missing.key');
    expect(await loadSecretHashKey(missing, false)).toEqual({ error: 'ENOENT' });
    await expect(stat(missing)).rejects.toThrow(/ENOENT/);
    const short = join(folder, 'short.key');
    await writeFile(short, 'too-short\n');
    expect(await loadSecretHashKey(short, false)).toEqual({ error: 'too short' });
  });
});
