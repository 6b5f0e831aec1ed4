// Decides which configuration values are secret and turns them into keyed hashes that compare without disclosure.
import { createHmac } from 'node:crypto';

export const HMAC_PREFIX = 'hmac-sha256:';
/** What a secret value becomes when no HMAC key could be had: never the value, never an unkeyed hash. */
export const REDACTED = 'redacted';

/** True when a key name contains one of the secret fragments, case ignored (`DB_PASSWORD`, `auth.token`). */
export function secretKeyMatcher(fragments: readonly string[]): (key: string) => boolean {
  const lowered = fragments.map((fragment) => fragment.toLowerCase());
  return (key) => {
    const name = key.toLowerCase();
    return lowered.some((fragment) => name.includes(fragment));
  };
}

/** `hmac-sha256:<hex>` of the text under the key, or `redacted` without a key. */
export type SecretHasher = (value: string) => string;

export function secretHasher(key: Buffer | undefined): SecretHasher {
  if (key === undefined) return () => REDACTED;
  return (value) => `${HMAC_PREFIX}${createHmac('sha256', key).update(value, 'utf8').digest('hex')}`;
}

/** A short public name for a key, so hosts can tell whether their secret hashes are comparable at all. */
export function secretKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('vigie fingerprint key id', 'utf8').digest('hex').slice(0, 16);
}

// `scheme://user:password@host`: everything up to the last `@` of the authority, so a password holding
// an `@` is hidden whole.
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*)@/gi;
// `name=value` inside a value: URL and JDBC parameters (`?password=`, `;password=`), libpq conninfo
// (`host=db password=pw`), command-line options (`--token=t`, `-Djavax.net.ssl.keyStorePassword=pw`).
const NAMED_PARAMETER = /(^|[\s?&;,])([^\s=&;,?#]+)=("[^"]*"|'[^']*'|[^\s&;,#]*)/g;
// `name = value` or `name: value` as a line of a multi-line value (an INI continuation, a quoted .env block).
const NAMED_LINE = /^(\s*)([^\s=:]+)(\s*[=:]\s*)(.*)$/gm;

/**
 * Hashes the secrets a key that does not look secret can still carry, leaving the rest readable: the password
 * of a URL (`DATABASE_URL=postgres://app:pw@db`), or its whole user info when it has no password
 * (`https://<token>@git.example`); `name=value` parameters and `name: value` lines whose name looks secret.
 */
export function hashSecretsInValue(
  value: string,
  isSecretKey: (key: string) => boolean,
  hash: SecretHasher,
): string {
  if (!/[=@:]/.test(value)) return value;
  const hashOnce = (text: string) => (text.startsWith(HMAC_PREFIX) || text === REDACTED ? text : hash(text));
  return value
    .replace(URL_USER_INFO, (_, scheme: string, userInfo: string) => {
      const colon = userInfo.indexOf(':');
      if (colon < 0) return `${scheme}${hash(userInfo)}@`;
      return `${scheme}${userInfo.slice(0, colon)}:${hash(userInfo.slice(colon + 1))}@`;
    })
    .replace(NAMED_PARAMETER, (whole, before: string, name: string, parameter: string) =>
      isSecretKey(name) ? `${before}${name}=${hashOnce(parameter)}` : whole,
    )
    .replace(NAMED_LINE, (whole, indent: string, name: string, separator: string, rest: string) =>
      isSecretKey(name) && rest !== '' ? `${indent}${name}${separator}${hashOnce(rest)}` : whole,
    );
}
