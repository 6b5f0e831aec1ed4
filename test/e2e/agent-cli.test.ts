// The agent's command line, as an operator uses it: run once and print JSON, list checks, validate configs.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Result } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import { AGENT_CLI, ROOT } from '../support/process.js';

const exec = promisify(execFile);

async function agent(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [AGENT_CLI, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('vigie-agent', () => {
  it('run --once --json runs every default check once and prints the results', async () => {
    const { code, stdout } = await agent(['run', '--once', '--json']);
    expect(code).toBe(0);
    const results = JSON.parse(stdout) as Result[];
    expect(results.map((r) => r.checkId)).toEqual([
      'cpu',
      'memory',
      'filesystem',
      'disk-io',
      'network',
      'failed-logins',
      'firewall',
      'accounts',
      'sshd',
      'reboot',
      'updates',
      'fingerprint',
    ]);
    // Performance and drift measure on any host; security checks may lack a tool or a privilege (unknown).
    const perf = results.filter((r) => r.category !== 'security');
    expect(perf.every((r) => r.status !== 'unknown')).toBe(true);
    for (const r of results) expect(r.message.length).toBeGreaterThan(0);
    const fs = results.find((r) => r.checkId === 'filesystem') as Result;
    expect(fs).toMatchObject({ type: 'filesystem', category: 'performance' });
    expect(['ok', 'warning', 'critical']).toContain(fs.status);
    expect(fs.metrics['used_percent@/']).toBeGreaterThan(0);
    expect(fs.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('run --once --check ID runs only that check, and names the configured ones when it is unknown', async () => {
    const one = await agent(['run', '--once', '--json', '--check', 'fingerprint']);
    expect((JSON.parse(one.stdout) as Result[]).map((r) => r.checkId)).toEqual(['fingerprint']);
    const none = await agent(['run', '--once', '--check', 'nope']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('configured: cpu, memory, filesystem');
  });

  it('checks lists the checks with their schedules', async () => {
    const { stdout } = await agent(['checks']);
    expect(stdout).toMatch(/filesystem\s+filesystem\s+performance\s+10 \* \* \* \* \*/);
  });

  it('the documented sample config is valid and covers every check type', async () => {
    const sample = join(ROOT, 'packages/agent/config/sample-agent.yaml');
    const r = await agent(['validate', '--config', sample]);
    expect(r.stdout).toContain('valid');
    const listed = await agent(['checks', '--config', sample]);
    const types = new Set(
      listed.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[1]),
    );
    const { checkTypes } = await import('../../packages/agent/src/checks/registry.js');
    expect([...types].sort()).toEqual(checkTypes());
  });

  it('validate explains each error by key path and exits 78', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-cli-'));
    const bad = join(dir, 'agent.yaml');
    writeFileSync(
      bad,
      `host: { environment: production, application: shop, colour: red }
checks:
  - { id: fs, type: filesystem, schedule: "*/5 * * * * *", criticalPercent: "lots" }
`,
    );
    const r = await agent(['validate', '--config', bad]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`invalid config ${bad}`);
    expect(r.stderr).toContain('/host/colour: Unexpected property');
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'host: { environment: staging, application: shop }\nchecks:\n  - { id: fs, type: filesystem, schedule: "* * * * *" }\n',
    );
    const ok = await agent(['validate', '--config', good]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('valid (1 checks)');
  });
});
