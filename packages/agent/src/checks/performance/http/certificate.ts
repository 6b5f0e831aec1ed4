// The expiry of the certificate chain a TLS server presented: the first certificate to expire decides.
import type { DetailedPeerCertificate } from 'node:tls';

export interface ChainExpiry {
  /** `CN=...` of the certificate that expires first. */
  subject: string;
  notAfterMs: number;
}

/**
 * Walks the chain from the leaf through `issuerCertificate` (a self-signed root is its own issuer). An empty
 * object means the server presented no certificate.
 */
export function soonestExpiry(leaf: DetailedPeerCertificate | undefined): ChainExpiry | undefined {
  let soonest: ChainExpiry | undefined;
  const seen = new Set<DetailedPeerCertificate>();
  for (
    let cert = leaf;
    cert !== undefined && !seen.has(cert) && cert.valid_to;
    cert = cert.issuerCertificate
  ) {
    seen.add(cert);
    const notAfterMs = Date.parse(cert.valid_to);
    if (Number.isFinite(notAfterMs) && (soonest === undefined || notAfterMs < soonest.notAfterMs)) {
      soonest = { subject: subjectName(cert), notAfterMs };
    }
  }
  return soonest;
}

function subjectName(cert: DetailedPeerCertificate): string {
  const cn = cert.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return name === undefined ? 'the certificate' : `CN=${name}`;
}
