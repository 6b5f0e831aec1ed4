// Reads the certificates of a PEM file (one certificate, a chain, a key + chain bundle) and their expiry.
import { X509Certificate } from 'node:crypto';

export interface CertificateExpiry {
  /** The common name when there is one (`CN=shop.example.org`), else the whole subject on one line. */
  subject: string;
  notAfterMs: number;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const OPENSSL_DATE = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/;

/**
 * Every certificate of the file, in file order. Other PEM blocks (private keys, parameters) are ignored.
 * A file without any PEM certificate is tried as one DER certificate.
 * Throws an error whose message is safe to show: it never quotes the file.
 */
export function readCertificates(content: Buffer): CertificateExpiry[] {
  const blocks = content.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    try {
      return [expiryOf(new X509Certificate(content))];
    } catch (err) {
      throw new Error('no certificate in the file (expected a PEM "BEGIN CERTIFICATE" block)', {
        cause: err,
      });
    }
  }
  return blocks.map((block, index) => {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch (err) {
      throw new Error(`certificate ${index + 1} of ${blocks.length} is not a valid X.509 certificate`, {
        cause: err,
      });
    }
    return expiryOf(certificate);
  });
}

function expiryOf(certificate: X509Certificate): CertificateExpiry {
  const notAfterMs = parseOpenSslDate(certificate.validTo);
  if (notAfterMs === undefined) throw new Error(`unreadable expiry date "${certificate.validTo}"`);
  return { subject: shortSubject(certificate.subject), notAfterMs };
}

/** OpenSSL prints dates as `Feb 26 12:49:57 2027 GMT`, a form Date.parse is not required to accept. */
export function parseOpenSslDate(text: string): number | undefined {
  const m = OPENSSL_DATE.exec(text);
  if (!m) return undefined;
  const [, month, day, hours, minutes, seconds, year] = m;
  const monthIndex = MONTHS.indexOf(month ?? '');
  if (monthIndex < 0) return undefined;
  return Date.UTC(Number(year), monthIndex, Number(day), Number(hours), Number(minutes), Number(seconds));
}

/** `O=Acme\nCN=shop.acme.test` -> `CN=shop.acme.test`: the name an operator recognises. */
export function shortSubject(subject: string): string {
  const lines = subject.split('\n').filter((line) => line !== '');
  return lines.find((line) => line.startsWith('CN=')) ?? (lines.join(', ') || '(no subject)');
}

/** The certificate that expires first: the one that breaks the chain first. */
export function soonestExpiry(certificates: readonly CertificateExpiry[]): CertificateExpiry | undefined {
  let soonest: CertificateExpiry | undefined;
  for (const certificate of certificates) {
    if (soonest === undefined || certificate.notAfterMs < soonest.notAfterMs) soonest = certificate;
  }
  return soonest;
}
