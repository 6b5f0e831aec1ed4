// Turns the configured configuration files into snapshot items: a hash of each file and the value of each key.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConfigSyntaxError, detectFormat, type ParsedFormat, parseConfig } from './config-formats.js';
import { MAX_VALUE_LENGTH } from './items.js';
import type { ConfigFormat } from './options.js';
import { HMAC_PREFIX, hashSecretsInValue, REDACTED, type SecretHasher, secretHasher } from './secrets.js';

/** Larger files are only hashed: a configuration file past this size is data, not settings. */
export const MAX_PARSED_BYTES = 1024 * 1024;

export interface SecretRules {
  isSecretKey: (key: string) => boolean;
  /** The HMAC key; undefined when it could not be had, and then secret values are `redacted`. */
  key: Buffer | undefined;
}

export type ItemPairs = [key: string, value: string][];

/**
 * The items of one file, in this order: `file.<path>.sha256`, `file.<path>.format`, then `config.<path>.<key>`.
 * An unreadable file gives `file.<path>.error` (an errno code) alone. A file that is not in its format gives
 * `file.<path>.parse_error`. The whole-file hash is a plain SHA-256 only when every value of the file is sent
 * in clear anyway; otherwise (secrets found, file not parsed) it is keyed, or a guessable file would give its
 * secrets away to a dictionary attack on the hash.
 */
export async function configFileItems(
  file: { path: string; as?: string; format: ConfigFormat },
  secrets: SecretRules,
  signal: AbortSignal,
): Promise<ItemPairs> {
  // Items are named by `as` when given, so the same file installed elsewhere compares across environments.
  const name = file.as ?? file.path;
  const prefix = `file.${name}`;
  let content: FileContent;
  try {
    content = await readContent(file.path, secrets.key, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    return [[`${prefix}.error`, errnoCode(err)]];
  }
  const hash = secretHasher(secrets.key);
  const keyedDigest = content.hmac === undefined ? REDACTED : `${HMAC_PREFIX}${content.hmac}`;
  if (content.text === undefined) {
    return [
      [`${prefix}.sha256`, keyedDigest],
      [`${prefix}.format`, 'hash'],
    ];
  }
  const format: ParsedFormat = file.format === 'auto' ? detectFormat(file.path, content.text) : file.format;
  let values: ItemPairs;
  try {
    values = configValues(name, format, content.text, secrets.isSecretKey, hash);
  } catch (err) {
    // Only a ConfigSyntaxError's message is known to hold no content; of anything else keep the name.
    const reason = err instanceof ConfigSyntaxError ? err.message : `cannot parse (${errorName(err)})`;
    return [
      [`${prefix}.sha256`, keyedDigest],
      [`${prefix}.format`, format],
      [`${prefix}.parse_error`, reason],
    ];
  }
  const allClear = format !== 'hash' && !values.some(([, value]) => isHidden(value));
  return [
    [`${prefix}.sha256`, allClear ? content.sha256 : keyedDigest],
    [`${prefix}.format`, format],
    ...values,
  ];
}

/** The `config.<path>.<key>` items of a parsed file, secret values hashed. */
export function configValues(
  path: string,
  format: ParsedFormat,
  text: string,
  isSecretKey: (key: string) => boolean,
  hash: SecretHasher,
): ItemPairs {
  return parseConfig(format, text).map(([key, value]) => {
    const item = key === '' || key.startsWith('[') ? `config.${path}${key}` : `config.${path}.${key}`;
    // A value past the protocol's length would be digested anyway: key it, rather than scan it for secrets.
    if (isSecretKey(key) || value.length > MAX_VALUE_LENGTH) return [item, hash(value)];
    return [item, hashSecretsInValue(value, isSecretKey, hash)];
  });
}

function isHidden(value: string): boolean {
  return value.includes(HMAC_PREFIX) || value.includes(REDACTED);
}

interface FileContent {
  sha256: string;
  /** Undefined without a key. */
  hmac: string | undefined;
  /** Undefined for a file too large to parse. */
  text: string | undefined;
}

async function readContent(path: string, key: Buffer | undefined, signal: AbortSignal): Promise<FileContent> {
  // O_NONBLOCK: opening a FIFO listed by mistake must not wait for a writer.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      const code = stats.isDirectory() ? 'EISDIR' : 'ENOTREG';
      throw Object.assign(new Error(`${path} is not a regular file`), { code });
    }
    const plain = createHash('sha256');
    const keyed = key === undefined ? undefined : createHmac('sha256', key);
    if (stats.size > MAX_PARSED_BYTES) {
      await hashStream(handle, [plain, keyed], signal);
      return { sha256: plain.digest('hex'), hmac: keyed?.digest('hex'), text: undefined };
    }
    const bytes = await handle.readFile({ signal });
    plain.update(bytes);
    keyed?.update(bytes);
    return { sha256: plain.digest('hex'), hmac: keyed?.digest('hex'), text: bytes.toString('utf8') };
  } finally {
    await handle.close();
  }
}

async function hashStream(
  handle: FileHandle,
  hashes: readonly (Hash | Hmac | undefined)[],
  signal: AbortSignal,
): Promise<void> {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const hash of hashes) hash?.update(chunk);
      done();
    },
  });
  await pipeline(handle.createReadStream({ autoClose: false }), sink, { signal });
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/** `ENOENT`, `EACCES`, `EISDIR`...: what an operator needs, and nothing of the file. */
function errnoCode(err: unknown): string {
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  return code ?? 'unreadable';
}
