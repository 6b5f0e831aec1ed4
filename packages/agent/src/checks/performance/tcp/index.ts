// The `tcp` check: does a TCP port accept connections, and how fast?
import { parseDuration } from '@vigie/shared';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck, thresholdStatus } from '../../types.js';
import { isNameResolutionError, rootCause } from '../connection-errors.js';
import { timeConnect } from './connect.js';
import { TCP_DEFAULTS, type TcpOptions, TcpOptionsSchema } from './options.js';

export const tcpCheck = defineCheck({
  type: 'tcp',
  category: 'performance',
  summary: 'A TCP port accepts connections, and how long connecting takes',
  options: TcpOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    let limits: LatencyLimits;
    try {
      limits = latencyLimits(options);
    } catch (err) {
      return unknownOutcome(`invalid option: ${describeError(err)}`);
    }
    const target = `${options.host}:${options.port}`;
    const result = await timeConnect(options.host, options.port, limits.timeoutMs, ctx.signal);
    if (result.connected) return judgeLatency(target, Math.round(result.ms * 100) / 100, limits);
    if (ctx.signal.aborted) return unknownOutcome(`no answer from ${target} before the check's timeout`);
    const cause = rootCause(result.error);
    if (isNameResolutionError(cause))
      return unknownOutcome(`cannot resolve ${options.host}: ${describeError(cause)}`);
    // Refused, unreachable, or silent until connectTimeout: clients cannot connect either.
    return { status: 'critical', metrics: { up: 0 }, message: `${target} down: ${describeError(cause)}` };
  },
});

export default tcpCheck;

interface LatencyLimits {
  warningMs: number | undefined;
  criticalMs: number | undefined;
  timeoutMs: number;
}

function latencyLimits(options: TcpOptions): LatencyLimits {
  const ms = (duration: string | number | undefined) =>
    duration === undefined ? undefined : parseDuration(duration);
  return {
    warningMs: ms(options.warningLatency),
    criticalMs: ms(options.criticalLatency),
    timeoutMs: parseDuration(options.connectTimeout ?? TCP_DEFAULTS.connectTimeout),
  };
}

function judgeLatency(target: string, ms: number, limits: LatencyLimits): CheckOutcome {
  const status = thresholdStatus(ms, limits.warningMs, limits.criticalMs);
  const limit = status === 'critical' ? limits.criticalMs : limits.warningMs;
  const verdict = status === 'ok' ? '' : ` (${status} >= ${limit} ms)`;
  return {
    status,
    metrics: { up: 1, connect_ms: ms },
    message: `${target} connected in ${ms.toFixed(1)} ms${verdict}`,
  };
}
