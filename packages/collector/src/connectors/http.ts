// One POST of a JSON body to a receiver, under a deadline, resolved as accepted or thrown as a DeliveryError.
import { request } from 'undici';
import { DeliveryError, isRetryableStatus } from './types.js';

export interface JsonPost {
  /** Names the receiver in error messages, e.g. `webhook "ops"`. */
  receiver: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  /** For the whole exchange: connect, headers and body. */
  timeoutMs: number;
  signal: AbortSignal;
}

/** Errors undici raises before sending anything: the configuration is wrong, retrying will not help. */
const REQUEST_ERRORS = new Set(['UND_ERR_INVALID_ARG', 'ERR_INVALID_URL', 'ERR_INVALID_ARG_TYPE']);

/** Sends the body; returns the status and response text of a 2xx answer, throws a DeliveryError otherwise. */
export async function postJson(post: JsonPost): Promise<{ status: number; text: string }> {
  const deadline = AbortSignal.timeout(post.timeoutMs);
  let status: number;
  let text: string;
  let retryAfter: string | string[] | undefined;
  try {
    const res = await request(post.url, {
      method: 'POST',
      body: post.body,
      headers: { ...post.headers, 'content-type': 'application/json' },
      headersTimeout: post.timeoutMs,
      bodyTimeout: post.timeoutMs,
      signal: AbortSignal.any([post.signal, deadline]),
    });
    status = res.statusCode;
    retryAfter = res.headers['retry-after'];
    text = await res.body.text();
  } catch (err) {
    throw requestFailure(post, err, deadline.aborted);
  }
  if (status >= 200 && status < 300) return { status, text };
  const retryAfterMs = parseRetryAfter(retryAfter);
  throw new DeliveryError(`${post.receiver} refused the notification: HTTP ${status} ${text.slice(0, 300)}`, {
    retryable: isRetryableStatus(status),
    status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

function requestFailure(post: JsonPost, err: unknown, timedOut: boolean): DeliveryError {
  const code = (err as { code?: unknown }).code;
  const reason = err instanceof Error ? err.message : String(err);
  if (timedOut) {
    return new DeliveryError(`${post.receiver} did not answer within ${post.timeoutMs} ms`, {
      retryable: true,
      cause: err,
    });
  }
  if (post.signal.aborted) {
    return new DeliveryError(`sending to ${post.receiver} was aborted: ${reason}`, {
      retryable: true,
      cause: err,
    });
  }
  if (typeof code === 'string' && REQUEST_ERRORS.has(code)) {
    return new DeliveryError(`cannot send to ${post.receiver}: ${reason}`, { retryable: false, cause: err });
  }
  // Refused, reset, DNS failure, TLS failure: the receiver or the network may come back. (No URL in the
  // message: webhook URLs often carry a token, and this text is stored and logged.)
  const label = typeof code === 'string' ? `${code}: ${reason}` : reason;
  return new DeliveryError(`${post.receiver} unreachable: ${label}`, { retryable: true, cause: err });
}

/** `Retry-After` in delta-seconds (the HTTP-date form is ignored: the exponential backoff applies then). */
function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v.trim()) * 1000;
}
