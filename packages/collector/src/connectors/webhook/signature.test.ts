import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature.js';

const SECRET = 'correct horse battery staple';
const BODY = '{"eventId":"e1","kind":"opened"}';
// From `printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET"`: the receiver's side, computed independently.
const OPENSSL = 'sha256=922dc84a55372356f9fe29e03184ce4786837a3cdcc1a35fe5bbcae15c31d2ef';

describe('webhook signature', () => {
  it('is the HMAC-SHA256 of the exact body, as any HMAC tool computes it', () => {
    expect(signBody(BODY, SECRET)).toBe(OPENSSL);
    expect(signBody(Buffer.from(BODY), SECRET)).toBe(OPENSSL);
  });

  it('verifies a signature made with the same secret over the same bytes', () => {
    expect(verifySignature(BODY, OPENSSL, SECRET)).toBe(true);
    expect(
      verifySignature(Buffer.from(BODY), OPENSSL.toUpperCase().replace('SHA256=', 'sha256='), SECRET),
    ).toBe(true);
  });

  it('rejects a changed body, another secret, and malformed or missing headers', () => {
    expect(verifySignature(`${BODY} `, OPENSSL, SECRET)).toBe(false);
    expect(verifySignature(BODY.replace('opened', 'closed'), OPENSSL, SECRET)).toBe(false);
    expect(verifySignature(BODY, OPENSSL, `${SECRET}!`)).toBe(false);
    expect(verifySignature(BODY, OPENSSL.slice('sha256='.length), SECRET)).toBe(false);
    expect(verifySignature(BODY, OPENSSL.slice(0, -2), SECRET)).toBe(false);
    expect(verifySignature(BODY, `sha1=${OPENSSL.slice('sha256='.length)}`, SECRET)).toBe(false);
    expect(verifySignature(BODY, [OPENSSL], SECRET)).toBe(false);
    expect(verifySignature(BODY, undefined, SECRET)).toBe(false);
  });
});
