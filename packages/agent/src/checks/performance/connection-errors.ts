// Why a connection failed, for the checks that open one (http, tcp): a name that does not resolve means
// the check cannot judge the server; anything else means clients cannot reach it either.

/** getaddrinfo failures. */
const NAME_RESOLUTION_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);

/** With several addresses per name (IPv4 and IPv6), Node reports every failed attempt together: take the first. */
export function rootCause(err: unknown): unknown {
  return err instanceof AggregateError && err.errors.length > 0 ? err.errors[0] : err;
}

export function errorCode(err: unknown): string {
  const code = (rootCause(err) as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

export function isNameResolutionError(err: unknown): boolean {
  return NAME_RESOLUTION_CODES.has(errorCode(err));
}
