// Reads the HMAC key that hashes secret values, creating a random one in the agent's state folder on first use.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hasErrorCode } from '../../failure.js';

/** Fewer characters than this is not a key worth the name (a generated one has 64 hex digits). */
export const MIN_KEY_LENGTH = 32;

export type SecretKeyResult = { key: Buffer } | { error: string };

/**
 * The key is the file's text without surrounding whitespace, taken as UTF-8 bytes, so a provider can write
 * `openssl rand -hex 32 > fingerprint.key` and hand the same file to every host of an application.
 * When `generate` is set and the file does not exist, 32 random bytes are written there as hex, mode 0600.
 * Errors are short codes (`ENOENT`, `EACCES`, `too short`): the key itself is never part of a message.
 */
export async function loadSecretHashKey(path: string, generate: boolean): Promise<SecretKeyResult> {
  try {
    return checked(await readFile(path, 'utf8'));
  } catch (err) {
    if (!(generate && hasErrorCode(err, 'ENOENT'))) return { error: errorCode(err) };
  }
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // `wx`: if another run created it meanwhile, keep theirs rather than overwrite a key already in use.
    await writeFile(path, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if (!hasErrorCode(err, 'EEXIST')) return { error: errorCode(err) };
  }
  try {
    return checked(await readFile(path, 'utf8'));
  } catch (err) {
    return { error: errorCode(err) };
  }
}

function checked(text: string): SecretKeyResult {
  const key = text.trim();
  return key.length < MIN_KEY_LENGTH ? { error: 'too short' } : { key: Buffer.from(key, 'utf8') };
}

function errorCode(err: unknown): string {
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  return code ?? 'unreadable';
}
