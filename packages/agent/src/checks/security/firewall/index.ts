// The `firewall` check: is a packet filter loaded at all (nftables or iptables rules)?
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { FIREWALL_DEFAULTS, type FirewallOptions, FirewallOptionsSchema } from './options.js';
import { effectiveRules } from './ruleset.js';
import { type FirewallTool, iptablesTool, nftTool, readTool, type ToolReading } from './tools.js';

export const firewallCheck = defineCheck({
  type: 'firewall',
  category: 'security',
  summary: 'Whether firewall rules are loaded (nft list ruleset, iptables-save)',
  options: FirewallOptionsSchema,
  run(options, ctx): Promise<CheckOutcome> {
    return checkFirewall(options, ctx.signal, [nftTool(), iptablesTool()]);
  },
});

export default firewallCheck;

type Counted = Extract<ToolReading, { counts: unknown }>;

/** Exported for tests, which point the tools at other commands. */
export async function checkFirewall(
  options: FirewallOptions,
  signal: AbortSignal,
  tools: readonly FirewallTool[],
): Promise<CheckOutcome> {
  const required = options.require ?? FIREWALL_DEFAULTS.require;
  const minRules = options.minRules ?? FIREWALL_DEFAULTS.minRules;
  const wanted = tools.filter((t) => required === 'any' || t.name === required);
  let readings: ToolReading[];
  try {
    readings = await Promise.all(wanted.map((tool) => readTool(tool, signal)));
  } catch (err) {
    return unknownOutcome(`cannot read the firewall rules: ${describeError(err)}`);
  }
  const counted = readings.filter((r): r is Counted => 'counts' in r);
  if (counted.length === 0) {
    const errors = readings.flatMap((r) => ('error' in r ? [r.error] : []));
    if (errors.length > 0) return unknownOutcome(`cannot read the firewall rules: ${errors.join('; ')}`);
    const names = wanted.map((t) => t.name).join(' or ');
    return unknownOutcome(`no firewall tool found (${names === '' ? 'none configured' : names})`);
  }
  // With iptables-nft, both tools show the same rules: take the fuller view rather than adding them up.
  const best = counted.reduce((a, b) => (effectiveRules(b.counts) > effectiveRules(a.counts) ? b : a));
  const { counts } = best;
  const metrics = {
    rules: counts.rules,
    tables: counts.tables,
    chains: counts.chains,
    drop_policies: counts.dropPolicies,
  };
  const summary =
    `${best.tool}: ${counts.rules} rule(s) in ${counts.chains} chain(s) of ${counts.tables} table(s)` +
    (counts.dropPolicies > 0 ? `, ${counts.dropPolicies} chain(s) with policy drop` : '');
  if (effectiveRules(counts) < minRules) {
    // A tool that failed might have shown the rules: say so next to the verdict.
    const failed = readings.flatMap((r) => ('error' in r ? [`; ${r.error}`] : [])).join('');
    return {
      status: 'critical',
      metrics,
      message: `no firewall: ${summary} (minimum ${minRules} rule(s))${failed}`,
    };
  }
  return { status: 'ok', metrics, message: summary };
}
