// Counts tables, chains, rules and drop policies in `nft list ruleset` and `iptables-save` / `iptables -S`.

export interface RulesetCounts {
  tables: number;
  chains: number;
  rules: number;
  /** Base chains (hooks) whose policy is drop: they filter even without a rule. */
  dropPolicies: number;
}

/** Brace balance of a line, quoted strings (comments, log prefixes) ignored. */
function braceBalance(line: string): number {
  const bare = line.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return (bare.match(/\{/g)?.length ?? 0) - (bare.match(/\}/g)?.length ?? 0);
}

/** The named objects nft prints as blocks; any other line ending with `{` is a statement going on. */
const NFT_BLOCK = /^(table|chain|set|map|flowtable|counter|quota|limit|ct|secmark|synproxy)\s.*\{$/;

/**
 * `nft list ruleset`: `table <family> <name> {` blocks holding `chain`, `set`, `map`, `flowtable`... blocks.
 * Inside a chain, the `type ... hook ...; policy ...;` line declares a base chain and any other statement
 * is a rule. A statement whose braces are not closed on its line (a long set of addresses) goes on until
 * they are.
 */
export function parseNftRuleset(text: string): RulesetCounts {
  const counts: RulesetCounts = { tables: 0, chains: 0, rules: 0, dropPolicies: 0 };
  const blocks: string[] = [];
  let continuation = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (continuation > 0) {
      continuation += braceBalance(line);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    if (line === '}') {
      blocks.pop();
      continue;
    }
    const opening = NFT_BLOCK.exec(line);
    if (opening?.[1] !== undefined && braceBalance(line) === 1) {
      blocks.push(opening[1]);
      if (opening[1] === 'table') counts.tables++;
      if (opening[1] === 'chain') counts.chains++;
      continue;
    }
    if (blocks.at(-1) === 'chain') {
      if (/^type \S+ hook /.test(line) || /^policy \S+;$/.test(line)) {
        if (/\bpolicy drop;/.test(line)) counts.dropPolicies++;
        continue;
      }
      if (!/^(?:comment|devices|flags) /.test(line)) counts.rules++;
    }
    continuation = Math.max(0, braceBalance(line));
  }
  return counts;
}

/**
 * `iptables-save` (`*table`, `:CHAIN POLICY [packets:bytes]`, `-A` rules, `COMMIT`) or `iptables -S`
 * (`-P CHAIN POLICY`, `-N CHAIN`, `-A` rules). A user chain has the policy `-`.
 */
export function parseIptables(text: string): RulesetCounts {
  const counts: RulesetCounts = { tables: 0, chains: 0, rules: 0, dropPolicies: 0 };
  let sawTable = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      counts.tables++;
      sawTable = true;
    } else if (line.startsWith(':') || line.startsWith('-P ') || line.startsWith('-N ')) {
      counts.chains++;
      const policy = line.startsWith(':')
        ? line.split(/\s+/)[1]
        : line.startsWith('-P ')
          ? line.split(/\s+/)[2]
          : '-';
      if (policy === 'DROP') counts.dropPolicies++;
    } else if (line.startsWith('-A ')) {
      counts.rules++;
    }
  }
  // `iptables -S` lists the filter table only, without a `*filter` header.
  if (!sawTable && counts.chains > 0) counts.tables = 1;
  return counts;
}

/** Rules, plus drop policies: a hook dropping by default is a firewall even without a rule. */
export function effectiveRules(counts: RulesetCounts): number {
  return counts.rules + counts.dropPolicies;
}
