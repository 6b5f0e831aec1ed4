// Protocol version and the close codes a collector uses to say why it ended a connection.
/** The newest protocol version; agents and collectors also speak every older one in SUPPORTED_VERSIONS. */
export const PROTOCOL_VERSION = 2 as const;
export const SUPPORTED_VERSIONS: readonly number[] = [1, 2];
export type ProtocolVersion = 1 | 2;

/** WebSocket close codes. 1xxx are RFC 6455; 4xxx are Vigie's own. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  policyViolation: 1008,
  frameTooLarge: 1009,
  internalError: 1011,
  /** The collector cannot serve this agent now (its host is held elsewhere, or was lost): reconnect later. */
  tryAgainLater: 1013,
  unsupportedVersion: 4001,
  malformedFrame: 4002,
  credentialRevoked: 4003,
  rateLimited: 4004,
  helloRequired: 4005,
  /** Another session of the same host took over (the same credential connected again). */
  sessionReplaced: 4006,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Stable error codes carried by `error` frames and REST errors. */
export const ErrorCode = {
  malformedJson: 'malformed_json',
  invalidMessage: 'invalid_message',
  unsupportedVersion: 'unsupported_version',
  helloRequired: 'hello_required',
  batchTooLarge: 'batch_too_large',
  frameTooLarge: 'frame_too_large',
  hostMismatch: 'host_mismatch',
  internal: 'internal_error',
  rateLimited: 'rate_limited',
  credentialRevoked: 'credential_revoked',
  /** The collector is over capacity: send the batch again after `retryAfterMs`. */
  overloaded: 'overloaded',
  sessionReplaced: 'session_replaced',
  /** Another collector holds the host (a lease); or this one lost it. */
  hostBusy: 'host_busy',
  /** Parts of a batch that cannot be stored were left out; the batch itself is acked. */
  invalidResult: 'invalid_result',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
