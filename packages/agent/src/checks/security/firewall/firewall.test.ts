import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCheck } from '../../../../../../test/support/built-check.js';
import { ensureBinary } from '../../../../../../test/support/packages.js';
import type { CheckContext } from '../../types.js';
import firewallDefault, { checkFirewall, firewallCheck } from './index.js';
import { FirewallOptionsSchema } from './options.js';
import { effectiveRules, parseIptables, parseNftRuleset } from './ruleset.js';
import { iptablesTool, nftTool } from './tools.js';

const run = promisify(execFile);
const testdataPath = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const testdata = (name: string) => readFileSync(testdataPath(name), 'utf8');
const signal = () => new AbortController().signal;
const context = (): CheckContext => ({ signal: signal(), now: () => new Date(), state: new Map() });

type Outcome = { status: string; metrics: Record<string, number>; message: string };

/** Runs the built check in a child process (see test/support/built-check.ts). */
function runBuilt(run: { options: object; asNobody?: boolean; prefix?: string[] }): Promise<Outcome> {
  return runBuiltCheck({
    module: fileURLToPath(new URL('../../../../dist/checks/security/firewall/index.js', import.meta.url)),
    check: 'firewallCheck',
    ...run,
  });
}

describe('parsing real rulesets', () => {
  // All captured with `nft list ruleset` / `iptables-save` / `iptables -S` in fresh network namespaces.
  it('counts an nftables inet filter with drop policies, and a nat table', () => {
    expect(parseNftRuleset(testdata('nft-list-ruleset-inet-filter.txt'))).toEqual({
      tables: 2,
      chains: 4,
      rules: 6,
      dropPolicies: 2,
    });
  });

  it('counts the nft view of iptables-nft rules, user chains included', () => {
    expect(parseNftRuleset(testdata('nft-list-ruleset-iptables-nft.txt'))).toEqual({
      tables: 2,
      chains: 3,
      rules: 7,
      dropPolicies: 1,
    });
  });

  it('does not take the elements of a named set, spread over lines, for rules', () => {
    expect(parseNftRuleset(testdata('nft-list-ruleset-named-set.txt'))).toEqual({
      tables: 1,
      chains: 1,
      rules: 1,
      dropPolicies: 0,
    });
  });

  it('counts iptables-save and iptables -S output', () => {
    expect(parseIptables(testdata('iptables-save-rules.txt'))).toEqual({
      tables: 2,
      chains: 8,
      rules: 7,
      dropPolicies: 1,
    });
    expect(parseIptables(testdata('iptables-S-rules.txt'))).toEqual({
      tables: 1,
      chains: 4,
      rules: 6,
      dropPolicies: 1,
    });
  });

  it('finds nothing in the empty outputs of a fresh namespace', () => {
    const none = { tables: 0, chains: 0, rules: 0, dropPolicies: 0 };
    expect(parseNftRuleset(testdata('nft-list-ruleset-empty.txt'))).toEqual(none);
    expect(parseIptables(testdata('iptables-save-empty.txt'))).toEqual(none);
    expect(effectiveRules({ tables: 1, chains: 1, rules: 0, dropPolicies: 1 })).toBe(1);
  });
});

describe('firewall check with the real nft and iptables', () => {
  let nft: string;
  let iptables: string;
  let folder: string;
  const namespace = `vigie-test-${process.pid}`;
  let namespaceError: string | undefined;

  beforeAll(async () => {
    nft = await ensureBinary('nft', 'nftables');
    iptables = await ensureBinary('iptables', 'iptables');
    await ensureBinary('ip', 'iproute2');
    folder = await mkdtemp(join(tmpdir(), 'vigie-firewall-'));
    try {
      await run('ip', ['netns', 'add', namespace]);
    } catch (err) {
      namespaceError = err instanceof Error ? err.message : String(err);
    }
  }, 600_000);
  afterAll(async () => {
    if (namespaceError === undefined) await run('ip', ['netns', 'del', namespace]);
    await rm(folder, { recursive: true, force: true });
  });

  /** Runs the check inside the test namespace: its rules are not the host's. */
  const inNamespace = (options: object) => runBuilt({ prefix: ['ip', 'netns', 'exec', namespace], options });

  it('is critical with no rules, then ok once rules are loaded (in a fresh network namespace, or, where namespaces are not permitted, on the captured outputs)', async () => {
    if (namespaceError !== undefined) {
      // No namespace here (no CAP_SYS_ADMIN): judge the captured outputs of the same steps instead.
      expect(effectiveRules(parseNftRuleset(testdata('nft-list-ruleset-empty.txt')))).toBe(0);
      expect(effectiveRules(parseNftRuleset(testdata('nft-list-ruleset-inet-filter.txt')))).toBe(8);
      expect(effectiveRules(parseIptables(testdata('iptables-save-rules.txt')))).toBe(8);
      return;
    }
    const empty = await inNamespace({});
    expect(empty).toEqual({
      status: 'critical',
      metrics: { rules: 0, tables: 0, chains: 0, drop_policies: 0 },
      message: 'no firewall: nftables: 0 rule(s) in 0 chain(s) of 0 table(s) (minimum 1 rule(s))',
    });

    await run('ip', [
      'netns',
      'exec',
      namespace,
      iptables,
      '-A',
      'INPUT',
      '-p',
      'tcp',
      '--dport',
      '22',
      '-j',
      'ACCEPT',
    ]);
    await run('ip', ['netns', 'exec', namespace, iptables, '-P', 'FORWARD', 'DROP']);
    const viaIptables = await inNamespace({ require: 'iptables' });
    expect(viaIptables).toMatchObject({ status: 'ok', metrics: { rules: 1, drop_policies: 1 } });
    expect(viaIptables.message).toMatch(
      /^iptables: 1 rule\(s\) in \d+ chain\(s\) of 1 table\(s\), 1 chain\(s\) with policy drop$/,
    );
    expect((await inNamespace({ require: 'iptables', minRules: 3 })).status).toBe('critical');

    await run('ip', ['netns', 'exec', namespace, iptables, '-F']);
    await run('ip', ['netns', 'exec', namespace, iptables, '-P', 'FORWARD', 'ACCEPT']);
    const rules = join(folder, 'rules.nft');
    await writeFile(rules, testdata('nft-list-ruleset-inet-filter.txt'));
    await run('ip', ['netns', 'exec', namespace, nft, '-f', rules]);
    const loaded = await inNamespace({ require: 'nftables' });
    expect(loaded).toEqual({
      status: 'ok',
      // The emptied iptables-nft `ip filter` table is still listed by nft, with its INPUT/FORWARD chains.
      metrics: { rules: 6, tables: 3, chains: 6, drop_policies: 2 },
      message: 'nftables: 6 rule(s) in 6 chain(s) of 3 table(s), 2 chain(s) with policy drop',
    });
    expect(Value.Check(MetricsSchema, loaded.metrics)).toBe(true);
  });

  // Reading the ruleset needs CAP_NET_ADMIN: as another user both tools refuse.
  it('is unknown when the agent may not read the rules', async () => {
    const outcome = await runBuilt({ options: {}, asNobody: true });
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toMatch(
      /^cannot read the firewall rules: .*(Operation not permitted|Permission denied)/,
    );
  });

  it("reads this machine's own rules", async () => {
    const outcome = await firewallCheck.run({}, context());
    expect(['ok', 'critical']).toContain(outcome.status);
    expect(outcome.metrics.rules).toBeTypeOf('number');
  });

  it('is unknown when neither tool exists', async () => {
    const outcome = await checkFirewall({}, signal(), [
      nftTool('/nonexistent/nft'),
      iptablesTool('/nonexistent/iptables-save', '/nonexistent/iptables'),
    ]);
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: 'no firewall tool found (nftables or iptables)',
    });
    const onlyNft = await checkFirewall({ require: 'iptables' }, signal(), [nftTool(nft)]);
    expect(onlyNft.message).toBe('no firewall tool found (none configured)');
  });

  it('falls back to iptables -S when iptables-save is missing', async () => {
    const outcome = await checkFirewall({ require: 'iptables' }, signal(), [
      iptablesTool('/nonexistent/iptables-save', iptables),
    ]);
    expect(outcome.status).not.toBe('unknown');
    expect(outcome.message).toMatch(/^(no firewall: )?iptables: /);
  });

  it('is exported by name and by default, with a strict options schema', () => {
    expect(firewallDefault).toBe(firewallCheck);
    expect(firewallCheck.type).toBe('firewall');
    expect(Value.Check(FirewallOptionsSchema, { require: 'nftables', minRules: 5 })).toBe(true);
    expect(Value.Check(FirewallOptionsSchema, { require: 'ufw' })).toBe(false);
    expect(Value.Check(FirewallOptionsSchema, { minRules: 0 })).toBe(false);
  });
});
