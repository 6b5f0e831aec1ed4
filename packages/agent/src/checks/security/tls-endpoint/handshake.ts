// Opens a TLS connection only to read what the server presents: its certificate and whether it verifies.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect } from 'node:tls';

export interface PresentedCertificate {
  /** The leaf certificate the server sent. */
  certificate: X509Certificate;
  /** True when the chain verifies against the trusted CAs and the certificate names the server. */
  authorized: boolean;
  /** OpenSSL's or Node's code when not authorized: `DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`. */
  authorizationError: string | undefined;
}

export interface HandshakeTarget {
  host: string;
  port: number;
  servername: string | undefined;
  /** PEM CA certificates replacing the system store; undefined keeps the system store. */
  ca: Buffer | undefined;
}

/** SNI carries a host name, never an IP address (RFC 6066). */
export function defaultServername(host: string): string | undefined {
  return isIP(host) === 0 ? host : undefined;
}

/**
 * Connects, completes the handshake and closes. Verification is never allowed to abort the handshake
 * (`rejectUnauthorized: false`) so that the certificate is read even when invalid; Node still runs the chain
 * and host name checks and reports them in `authorized` / `authorizationError`.
 */
export function fetchCertificate(
  target: HandshakeTarget,
  signal: AbortSignal,
): Promise<PresentedCertificate> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const socket = connect({
      host: target.host,
      port: target.port,
      servername: target.servername,
      ca: target.ca,
      rejectUnauthorized: false,
    });
    const onAbort = () =>
      socket.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (outcome: () => void) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      outcome();
    };
    socket.once('error', (err) => settle(() => reject(err)));
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate().raw as Buffer | undefined;
      const authorized = socket.authorized;
      const authorizationError = socket.authorizationError?.toString();
      settle(() => {
        if (raw === undefined) return reject(new Error('the server sent no certificate'));
        resolve({ certificate: new X509Certificate(raw), authorized, authorizationError });
      });
    });
  });
}
