// Why a request failed: the endpoint is down (critical), or the check could not even ask (unknown).
import type { Status } from '@vigie/shared';
import { describeError } from '../../failure.js';
import { errorCode, isNameResolutionError, rootCause } from '../connection-errors.js';

/** A request undici refuses to send: the configuration is wrong, not the server. */
const REQUEST_ERRORS = new Set(['UND_ERR_INVALID_ARG', 'ERR_INVALID_URL', 'ERR_INVALID_ARG_TYPE']);

export function classifyRequestError(err: unknown): { status: Status; message: string } {
  const cause = rootCause(err);
  if (isNameResolutionError(err))
    return { status: 'unknown', message: `cannot resolve the host: ${describeError(cause)}` };
  if (REQUEST_ERRORS.has(errorCode(err)))
    return { status: 'unknown', message: `invalid request: ${describeError(cause)}` };
  // Refused, reset, unreachable, TLS handshake or certificate rejected, connect timeout: clients fail too.
  return { status: 'critical', message: `down: ${describeError(cause)}` };
}
