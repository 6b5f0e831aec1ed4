// Judges an HTTP answer: expected status, body match, certificate expiry, latency; the worst finding decides.
import { type Metrics, type Status, statusSeverity } from '@vigie/shared';
import { type CheckOutcome, thresholdStatus } from '../../types.js';
import { formatBytes, round2 } from '../counters.js';
import type { ChainExpiry } from './certificate.js';

const DAY_MS = 86_400_000;

export interface HttpAnswer {
  statusCode: number;
  latencyMs: number;
  bodyBytes: number;
  /** Undefined when no bodyMatch was asked. */
  bodyMatched: boolean | undefined;
  /** Undefined over plain HTTP. */
  certificate: ChainExpiry | undefined;
}

export interface HttpExpectations {
  /** Undefined: any 2xx or 3xx. */
  expectStatus: readonly number[] | undefined;
  bodyMatch: string | undefined;
  warningLatencyMs: number | undefined;
  criticalLatencyMs: number | undefined;
  certWarningDays: number;
  certCriticalDays: number;
}

interface Finding {
  status: Status;
  text: string;
}

export function judgeHttp(answer: HttpAnswer, expected: HttpExpectations, nowMs: number): CheckOutcome {
  const latency = Math.round(answer.latencyMs);
  const metrics: Metrics = {
    status_code: answer.statusCode,
    latency_ms: latency,
    body_bytes: answer.bodyBytes,
  };
  const findings = [statusFinding(answer.statusCode, expected.expectStatus)];
  if (answer.bodyMatched === false) {
    findings.push({ status: 'critical', text: `body does not match /${expected.bodyMatch}/` });
  }
  findings.push(latencyFinding(latency, expected));
  let certText = '';
  if (answer.certificate !== undefined) {
    const daysLeft = round2((answer.certificate.notAfterMs - nowMs) / DAY_MS);
    metrics.tls_days_left = daysLeft;
    const cert = certificateFinding(answer.certificate.subject, daysLeft, expected);
    findings.push(cert);
    certText = `, ${cert.text}`;
  }
  const worst = findings.reduce((a, b) => (statusSeverity(b.status) > statusSeverity(a.status) ? b : a));
  const others = findings.filter((f) => f !== worst && f.status !== 'ok').length;
  const summary = `HTTP ${answer.statusCode} in ${latency} ms, ${formatBytes(answer.bodyBytes)}${certText}`;
  let message = worst.status === 'ok' ? summary : worst.text;
  if (worst.status !== 'ok' && others > 0) message += ` (+${others} more problem(s))`;
  return { status: worst.status, metrics, message };
}

function statusFinding(code: number, expected: readonly number[] | undefined): Finding {
  const ok = expected === undefined ? code >= 200 && code < 400 : expected.includes(code);
  const wanted = expected === undefined ? '2xx or 3xx' : expected.join(' or ');
  return ok ? { status: 'ok', text: '' } : { status: 'critical', text: `HTTP ${code} (expected ${wanted})` };
}

function latencyFinding(latency: number, expected: HttpExpectations): Finding {
  const { warningLatencyMs: warning, criticalLatencyMs: critical } = expected;
  const status = thresholdStatus(latency, warning, critical);
  const limit = status === 'critical' ? critical : warning;
  return { status, text: `answered in ${latency} ms (${status} >= ${limit} ms)` };
}

function certificateFinding(subject: string, daysLeft: number, expected: HttpExpectations): Finding {
  const status = thresholdStatus(daysLeft, expected.certWarningDays, expected.certCriticalDays, 'below');
  const when =
    daysLeft < 0 ? `expired ${(-daysLeft).toFixed(1)} days ago` : `expires in ${daysLeft.toFixed(1)} days`;
  const limit = status === 'critical' ? expected.certCriticalDays : expected.certWarningDays;
  return {
    status,
    text: `certificate ${subject} ${when}${status === 'ok' ? '' : ` (${status} <= ${limit} days)`}`,
  };
}
