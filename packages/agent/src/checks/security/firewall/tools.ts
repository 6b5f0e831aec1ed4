// Asks nft and iptables for the loaded rules. Both need root (CAP_NET_ADMIN) to read them.
import { runTool } from '../../tool.js';
import { parseIptables, parseNftRuleset, type RulesetCounts } from './ruleset.js';

export interface FirewallTool {
  name: 'nftables' | 'iptables';
  /** Commands tried in order; the first one that exists answers. */
  commands: readonly (readonly [string, ...string[]])[];
  parse(stdout: string): RulesetCounts;
}

export type ToolReading =
  | { tool: FirewallTool['name']; counts: RulesetCounts }
  | { tool: FirewallTool['name']; error: string }
  | { tool: FirewallTool['name']; absent: true };

export function nftTool(command = 'nft'): FirewallTool {
  return { name: 'nftables', commands: [[command, 'list', 'ruleset']], parse: parseNftRuleset };
}

export function iptablesTool(save = 'iptables-save', iptables = 'iptables'): FirewallTool {
  return { name: 'iptables', commands: [[save], [iptables, '-S']], parse: parseIptables };
}

export async function readTool(tool: FirewallTool, signal: AbortSignal): Promise<ToolReading> {
  for (const [command, ...args] of tool.commands) {
    const result = await runCommand(command, args, signal);
    if (result === undefined) continue;
    if ('error' in result) return { tool: tool.name, error: `${command}: ${result.error}` };
    return { tool: tool.name, counts: tool.parse(result.stdout) };
  }
  return { tool: tool.name, absent: true };
}

async function runCommand(
  command: string,
  args: readonly string[],
  signal: AbortSignal,
): Promise<{ stdout: string } | { error: string } | undefined> {
  const exit = await runTool(command, args, signal, { maxBuffer: 64 * 1024 * 1024, sbin: true });
  if (exit === undefined || exit.code === 0) return exit && { stdout: exit.stdout };
  // "Operation not permitted (you must be root)", "Permission denied (you must be root)"...
  return { error: exit.stderr.trim().split('\n', 1)[0]?.trim() || `exit ${exit.code}` };
}
