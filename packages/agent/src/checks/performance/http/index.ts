// The `http` check: does an HTTP(S) endpoint answer as expected, fast enough, with a certificate far from expiry?
import { readFile } from 'node:fs/promises';
import { parseDuration } from '@vigie/shared';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckContext, type CheckOutcome, defineCheck } from '../../types.js';
import { soonestExpiry } from './certificate.js';
import { classifyRequestError } from './errors.js';
import { HTTP_DEFAULTS, type HttpOptions, HttpOptionsSchema } from './options.js';
import type { ProbeResponse } from './probe.js';
import { type HttpAnswer, type HttpExpectations, judgeHttp } from './verdict.js';

export const httpCheck = defineCheck({
  type: 'http',
  category: 'performance',
  summary: 'An HTTP(S) endpoint answers with the expected status and body, in time, with a valid certificate',
  options: HttpOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    let plan: Plan;
    try {
      plan = planRequest(options);
    } catch (err) {
      return unknownOutcome(`invalid option: ${describeError(err)}`);
    }
    let ca: Buffer | undefined;
    try {
      ca = options.caFile === undefined ? undefined : await readFile(options.caFile, { signal: ctx.signal });
    } catch (err) {
      return unknownOutcome(`cannot read caFile ${options.caFile}: ${describeError(err)}`);
    }
    const response = await ask(plan.url, options, ca, ctx);
    if ('status' in response) return response;
    return judgeHttp(answerOf(response, plan.bodyMatch), plan.expected, ctx.now().getTime());
  },
});

export default httpCheck;

interface Plan {
  url: URL;
  bodyMatch: RegExp | undefined;
  expected: HttpExpectations;
}

/** The URL, body expression and limits the options describe; throws on a bad URL, expression or duration. */
function planRequest(options: HttpOptions): Plan {
  const ms = (duration: string | number | undefined) =>
    duration === undefined ? undefined : parseDuration(duration);
  const { expectStatus } = options;
  return {
    url: new URL(options.url),
    bodyMatch: options.bodyMatch === undefined ? undefined : new RegExp(options.bodyMatch),
    expected: {
      expectStatus: typeof expectStatus === 'number' ? [expectStatus] : expectStatus,
      bodyMatch: options.bodyMatch,
      warningLatencyMs: ms(options.warningLatency),
      criticalLatencyMs: ms(options.criticalLatency),
      certWarningDays: options.certWarningDays ?? HTTP_DEFAULTS.certWarningDays,
      certCriticalDays: options.certCriticalDays ?? HTTP_DEFAULTS.certCriticalDays,
    },
  };
}

/** The response, or the outcome of a request that got none. */
async function ask(
  url: URL,
  options: HttpOptions,
  ca: Buffer | undefined,
  ctx: CheckContext,
): Promise<ProbeResponse | CheckOutcome> {
  try {
    // undici is loaded on the first HTTP check, not at agent start: it costs ~20 MB of resident memory.
    const { probe } = await import('./probe.js');
    return await probe({
      url,
      method: options.method ?? HTTP_DEFAULTS.method,
      ca,
      insecure: options.insecure ?? HTTP_DEFAULTS.insecure,
      signal: ctx.signal,
    });
  } catch (err) {
    if (ctx.signal.aborted) return unknownOutcome(`no answer before the timeout: ${describeError(err)}`);
    const { status, message } = classifyRequestError(err);
    return { status, metrics: {}, message };
  }
}

function answerOf(response: ProbeResponse, bodyMatch: RegExp | undefined): HttpAnswer {
  return {
    statusCode: response.statusCode,
    latencyMs: response.latencyMs,
    bodyBytes: response.body.length,
    // Matched against the text, never shown: a body may hold anything.
    bodyMatched: bodyMatch === undefined ? undefined : bodyMatch.test(response.body.toString('utf8')),
    certificate: soonestExpiry(response.certificate),
  };
}
