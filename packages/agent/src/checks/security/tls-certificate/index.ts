// The `tls-certificate-file` check: days left before a certificate file (the soonest of a chain) expires.
import { readFile, stat } from 'node:fs/promises';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck, thresholdStatus } from '../../types.js';
import { type CertificateExpiry, readCertificates, soonestExpiry } from './certificate.js';
import { TLS_CERTIFICATE_DEFAULTS, TlsCertificateOptionsSchema } from './options.js';

const DAY_MS = 86_400_000;

export const tlsCertificateFileCheck = defineCheck({
  type: 'tls-certificate-file',
  category: 'security',
  summary: 'Days until a PEM certificate file (or the first certificate of a chain to expire) expires',
  options: TlsCertificateOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    const warningDays = options.warningDays ?? TLS_CERTIFICATE_DEFAULTS.warningDays;
    const criticalDays = options.criticalDays ?? TLS_CERTIFICATE_DEFAULTS.criticalDays;
    let certificates: CertificateExpiry[];
    try {
      certificates = readCertificates(await readCertificateFile(options.path, ctx.signal));
    } catch (err) {
      return unknownOutcome(`cannot read a certificate from ${options.path}: ${describeError(err)}`);
    }
    const soonest = soonestExpiry(certificates);
    if (soonest === undefined) return unknownOutcome(`no certificate in ${options.path}`);

    const daysLeft = (soonest.notAfterMs - ctx.now().getTime()) / DAY_MS;
    const status = thresholdStatus(daysLeft, warningDays, criticalDays, 'below');
    const date = new Date(soonest.notAfterMs).toISOString().replace('.000Z', 'Z');
    const when =
      daysLeft < 0
        ? `expired ${(-daysLeft).toFixed(1)} days ago (${date})`
        : `expires in ${daysLeft.toFixed(1)} days (${date})`;
    const limit =
      status === 'ok' || daysLeft < 0
        ? ''
        : ` (${status} <= ${status === 'critical' ? criticalDays : warningDays} days)`;
    const which = certificates.length > 1 ? `first to expire of ${certificates.length} certificates: ` : '';
    return {
      status,
      metrics: {
        days_left: Math.round(daysLeft * 10_000) / 10_000,
        not_after_epoch_seconds: Math.floor(soonest.notAfterMs / 1000),
      },
      message: `${options.path}: ${which}${soonest.subject} ${when}${limit}`,
    };
  },
});

export default tlsCertificateFileCheck;

/** A PEM chain is a few kilobytes: refuse anything else before loading it (a log, a device, a folder). */
const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024;

async function readCertificateFile(path: string, signal: AbortSignal): Promise<Buffer> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error('not a regular file');
  if (info.size > MAX_CERTIFICATE_FILE_BYTES) {
    throw new Error(`${info.size} bytes is too large for a certificate file`);
  }
  return readFile(path, { signal });
}
