// The `reboot-required` check: whether the host must reboot to run the code its updates installed.

import { readdir, readFile, stat } from 'node:fs/promises';
import { release } from 'node:os';
import type { Metrics } from '@vigie/shared';
import { describeError, hasErrorCode, unknownOutcome } from '../../failure.js';
import { execTool, type ToolFailure } from '../../spawn.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { parseRebootPackages } from './flag.js';
import { installedKernels, type KernelHint, kernelHint } from './kernel.js';
import {
  REBOOT_REQUIRED_DEFAULTS,
  type RebootRequiredOptions,
  RebootRequiredOptionsSchema,
} from './options.js';

/** What one source said: a reason to reboot, nothing to report, or why it could not be asked. */
interface Finding {
  source: string;
  required: boolean;
  detail?: string;
  error?: string;
}

export const rebootRequiredCheck = defineCheck({
  type: 'reboot-required',
  category: 'security',
  summary:
    "Whether a reboot is pending (Debian's reboot flag, RHEL's needs-restarting, newer kernel installed)",
  options: RebootRequiredOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    const metrics: Metrics = { reboot_required: 0, packages: 0 };
    const findings: Finding[] = [];
    const flag = await readFlag(options, ctx.signal);
    findings.push(flag.finding);
    metrics.packages = flag.packages;
    const restarting = await askNeedsRestarting(options, ctx.signal);
    if (restarting !== undefined) findings.push(restarting);
    if (options.kernelCheck ?? true) {
      const kernel = await compareKernel(options.bootDir ?? REBOOT_REQUIRED_DEFAULTS.bootDir);
      if (kernel !== undefined) {
        findings.push(kernel.finding);
        if (kernel.hint?.kind === 'newer') metrics.newer_kernel = 1;
        if (kernel.hint?.kind === 'current') metrics.newer_kernel = 0;
      }
    }
    return summarise(findings, metrics, options);
  },
});

export default rebootRequiredCheck;

async function readFlag(
  options: RebootRequiredOptions,
  signal: AbortSignal,
): Promise<{ finding: Finding; packages: number }> {
  const flagFile = options.flagFile ?? REBOOT_REQUIRED_DEFAULTS.flagFile;
  const source = 'flag file';
  try {
    await stat(flagFile);
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return { finding: { source, required: false }, packages: 0 };
    return { finding: { source, required: false, error: `${flagFile}: ${describeError(err)}` }, packages: 0 };
  }
  const pkgsFile = options.pkgsFile ?? `${flagFile}.pkgs`;
  let packages: string[] = [];
  let note = '';
  try {
    packages = parseRebootPackages(await readFile(pkgsFile, { encoding: 'utf8', signal }));
  } catch (err) {
    // The flag alone is the signal; the package list only explains it.
    if (!hasErrorCode(err, 'ENOENT')) note = ` (package list unreadable: ${describeError(err)})`;
  }
  const shown = packages.slice(0, 3).join(', ') + (packages.length > 3 ? ', ...' : '');
  const list = packages.length > 0 ? ` (${packages.length} package(s): ${shown})` : '';
  return {
    finding: { source, required: true, detail: `${flagFile} present${list}${note}` },
    packages: packages.length,
  };
}

/** `needs-restarting -r` exits 1 when a reboot is needed, 0 when not; undefined when it is not installed. */
function askNeedsRestarting(
  options: RebootRequiredOptions,
  signal: AbortSignal,
): Promise<Finding | undefined> {
  const command = options.needsRestarting ?? REBOOT_REQUIRED_DEFAULTS.needsRestarting;
  const source = 'needs-restarting';
  return execTool(command, ['-r'], { signal, maxBuffer: 1024 * 1024 }).then(
    (): Finding => ({ source, required: false }),
    (err: unknown): Finding | undefined => {
      if (hasErrorCode(err, 'ENOENT')) return undefined;
      const code = (err as Partial<ToolFailure>).code;
      if (code === 1) return { source, required: true, detail: `${command} -r says so` };
      const reason = typeof code === 'number' ? `exited with ${code}` : describeError(err);
      return { source, required: false, error: `${command} -r: ${reason}` };
    },
  );
}

async function compareKernel(bootDir: string): Promise<{ finding: Finding; hint?: KernelHint } | undefined> {
  const source = 'kernel';
  let entries: string[];
  try {
    entries = await readdir(bootDir);
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return undefined;
    return { finding: { source, required: false, error: `${bootDir}: ${describeError(err)}` } };
  }
  const installed = installedKernels(entries);
  if (installed.length === 0) return undefined;
  const hint = kernelHint(release(), installed);
  if (hint.kind === 'newer') {
    return {
      finding: { source, required: true, detail: `kernel ${hint.newest} installed, running ${hint.running}` },
      hint,
    };
  }
  const detail =
    hint.kind === 'current' ? `kernel ${hint.running}` : `kernel ${hint.running} (not in ${bootDir})`;
  return { finding: { source, required: false, detail }, hint };
}

function summarise(
  findings: readonly Finding[],
  metrics: Metrics,
  options: RebootRequiredOptions,
): CheckOutcome {
  const reasons = findings.filter((f) => f.required).map((f) => f.detail ?? f.source);
  const errors = findings.filter((f) => f.error !== undefined).map((f) => f.error as string);
  if (reasons.length > 0) {
    metrics.reboot_required = 1;
    return {
      status: options.severity ?? REBOOT_REQUIRED_DEFAULTS.severity,
      metrics,
      message: `reboot required: ${reasons.join('; ')}`,
    };
  }
  if (errors.length > 0) return unknownOutcome(`cannot tell: ${errors.join('; ')}`);
  const checked = findings.map((f) => (f.source === 'kernel' ? (f.detail ?? f.source) : f.source));
  return { status: 'ok', metrics, message: `no reboot required (checked ${checked.join(', ')})` };
}
