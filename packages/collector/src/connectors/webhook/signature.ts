// The webhook signature: HMAC-SHA256 of the exact request body with the shared secret, as `sha256=<hex>`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-vigie-signature';
export const EVENT_ID_HEADER = 'x-vigie-event-id';
export const TIMESTAMP_HEADER = 'x-vigie-timestamp';

function digest(body: string | Uint8Array, secret: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/** The value of the X-Vigie-Signature header for `body`. */
export function signBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${digest(body, secret).toString('hex')}`;
}

/**
 * For receivers: whether `header` (X-Vigie-Signature) signs `body` with `secret`. Pass the raw body as
 * received, before any JSON parsing; the comparison takes the same time whatever the header holds.
 */
export function verifySignature(
  body: string | Uint8Array,
  header: string | string[] | undefined,
  secret: string,
): boolean {
  const m = typeof header === 'string' ? /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim()) : null;
  if (!m?.[1]) return false;
  return timingSafeEqual(Buffer.from(m[1], 'hex'), digest(body, secret));
}
