// The `sshd-config` check: sshd's effective settings (`sshd -T`) compared with a hardening policy.

import { describeError, hasErrorCode, unknownOutcome } from '../../failure.js';
import { execTool } from '../../spawn.js';
import { toolEnv } from '../../tool.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { DEFAULT_SSHD_POLICY, SSHD_DEFAULTS, SshdOptionsSchema } from './options.js';
import { checkPolicy, describeViolation, parseSshdT, violationsStatus } from './policy.js';

const SHOWN = 3;

export const sshdCheck = defineCheck({
  type: 'sshd-config',
  category: 'security',
  summary: "sshd's effective configuration (sshd -T) compared with a hardening policy",
  options: SshdOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    const binary = options.binary ?? SSHD_DEFAULTS.binary;
    const args = ['-T', ...(options.extraArgs ?? [])];
    let stdout: string;
    try {
      stdout = await sshdT(binary, args, ctx.signal);
    } catch (err) {
      if (hasErrorCode(err, 'ENOENT'))
        return unknownOutcome(`${binary} not found: is openssh-server installed?`);
      return unknownOutcome(`${binary} -T failed: ${reason(err)}`);
    }
    const settings = parseSshdT(stdout);
    if (settings.size === 0) return unknownOutcome(`${binary} -T printed no setting`);
    const policy = options.policy ?? DEFAULT_SSHD_POLICY;
    const violations = checkPolicy(settings, policy);
    const checked = Object.keys(policy).length;
    const metrics = { violations: violations.length, checked };
    if (violations.length === 0) {
      return { status: 'ok', metrics, message: `sshd policy met (${checked} setting(s) checked)` };
    }
    // Critical ones first: they are the reason for the status.
    const ordered = [...violations].sort((a, b) => Number(b.critical) - Number(a.critical));
    const shown = ordered.slice(0, SHOWN).map(describeViolation).join(', ');
    const more = violations.length > SHOWN ? `, +${violations.length - SHOWN} more` : '';
    return {
      status: violationsStatus(violations),
      metrics,
      message: `${violations.length} sshd policy violation(s) of ${checked}: ${shown}${more}`,
    };
  },
});

export default sshdCheck;

function sshdT(binary: string, args: readonly string[], signal: AbortSignal): Promise<string> {
  return execTool(binary, args, { signal, maxBuffer: 4 * 1024 * 1024, env: toolEnv(true) }).then(
    ({ stdout }) => stdout,
  );
}

/** sshd says why on stderr: `no hostkeys available`, `Missing privilege separation directory`, a bad line. */
function reason(err: unknown): string {
  const stderr = (err as { stderr?: unknown }).stderr;
  const first = typeof stderr === 'string' ? stderr.trim().split('\n', 1)[0]?.trim() : undefined;
  const code = (err as { code?: unknown }).code;
  if (first && typeof code === 'number') return `exit ${code}: ${first}`;
  return describeError(err);
}
