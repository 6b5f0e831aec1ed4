// The `tls-certificate-endpoint` check: days left before a TLS server's certificate expires, and chain validity.
import { readFile } from 'node:fs/promises';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck, thresholdStatus } from '../../types.js';
import { parseOpenSslDate, shortSubject } from '../tls-certificate/certificate.js';
import { defaultServername, fetchCertificate, type PresentedCertificate } from './handshake.js';
import { TLS_ENDPOINT_DEFAULTS, TlsEndpointOptionsSchema } from './options.js';

const DAY_MS = 86_400_000;

export const tlsEndpointCheck = defineCheck({
  type: 'tls-certificate-endpoint',
  category: 'security',
  summary: "Days until a TLS server's certificate expires, and whether its chain verifies",
  options: TlsEndpointOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    const port = options.port ?? TLS_ENDPOINT_DEFAULTS.port;
    const endpoint = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
    let ca: Buffer | undefined;
    if (options.caFile !== undefined) {
      try {
        ca = await readFile(options.caFile, { signal: ctx.signal });
      } catch (err) {
        return unknownOutcome(`cannot read caFile ${options.caFile}: ${describeError(err)}`);
      }
    }
    let presented: PresentedCertificate;
    try {
      presented = await fetchCertificate(
        { host: options.host, port, servername: options.servername ?? defaultServername(options.host), ca },
        ctx.signal,
      );
    } catch (err) {
      return unknownOutcome(`${endpoint}: TLS handshake failed: ${describeError(err)}`);
    }
    const notAfterMs = parseOpenSslDate(presented.certificate.validTo);
    if (notAfterMs === undefined) {
      return unknownOutcome(`${endpoint}: unreadable expiry date "${presented.certificate.validTo}"`);
    }

    const warningDays = options.warningDays ?? TLS_ENDPOINT_DEFAULTS.warningDays;
    const criticalDays = options.criticalDays ?? TLS_ENDPOINT_DEFAULTS.criticalDays;
    const daysLeft = (notAfterMs - ctx.now().getTime()) / DAY_MS;
    const expiryStatus = thresholdStatus(daysLeft, warningDays, criticalDays, 'below');
    const rejectUnauthorized = options.rejectUnauthorized ?? TLS_ENDPOINT_DEFAULTS.rejectUnauthorized;
    const chainStatus = presented.authorized || !rejectUnauthorized ? 'ok' : 'critical';
    const status = chainStatus === 'critical' ? 'critical' : expiryStatus;

    const date = new Date(notAfterMs).toISOString().replace('.000Z', 'Z');
    const when =
      daysLeft < 0
        ? `expired ${(-daysLeft).toFixed(1)} days ago (${date})`
        : `expires in ${daysLeft.toFixed(1)} days (${date})`;
    const limit =
      expiryStatus === 'ok' || daysLeft < 0
        ? ''
        : ` (${expiryStatus} <= ${expiryStatus === 'critical' ? criticalDays : warningDays} days)`;
    const chain = presented.authorized
      ? ''
      : `; chain invalid: ${presented.authorizationError ?? 'unknown reason'}`;
    return {
      status,
      metrics: {
        days_left: Math.round(daysLeft * 10_000) / 10_000,
        chain_valid: presented.authorized ? 1 : 0,
        not_after_epoch_seconds: Math.floor(notAfterMs / 1000),
      },
      message: `${endpoint}: ${shortSubject(presented.certificate.subject)} ${when}${limit}${chain}`,
    };
  },
});

export default tlsEndpointCheck;
