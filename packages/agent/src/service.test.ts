import { describe, expect, it } from 'vitest';
import { restartService, type ServiceHost } from './service.js';

// A stand-in for the host: systemd cannot be started from a test; what is checked is which commands run.
function host(systemd: boolean, systemctl: string | undefined, failOn?: string) {
  const calls: string[] = [];
  const h: ServiceHost = {
    systemdRuns: () => systemd,
    which: (p) => (p === 'systemctl' ? systemctl : undefined),
    run: async (program, args) => {
      calls.push([program, ...args].join(' '));
      return args[0] === failOn
        ? { code: 1, output: 'Unit vigie-agent.service not found.' }
        : { code: 0, output: '' };
    },
  };
  return { h, calls };
}

describe('restartService', () => {
  it('enables and restarts the unit when systemd runs', async () => {
    const { h, calls } = host(true, '/usr/bin/systemctl');
    expect(await restartService('/etc/vigie/agent.yaml', h)).toContain('(re)started');
    expect(calls).toEqual([
      '/usr/bin/systemctl enable vigie-agent.service',
      '/usr/bin/systemctl restart vigie-agent.service',
    ]);
  });

  it('says how to start the agent when systemctl exists but systemd is not the init (a container)', async () => {
    const { h, calls } = host(false, '/usr/bin/systemctl');
    expect(await restartService('/etc/vigie/agent.yaml', h)).toMatch(
      /systemd does not run here.*vigie-agent run/,
    );
    expect(calls).toEqual([]);
  });

  it('reports a failed restart in one line naming the journal', async () => {
    const { h } = host(true, '/bin/systemctl', 'restart');
    await expect(restartService('/c.yaml', h)).rejects.toThrow(
      /restart vigie-agent.service failed: Unit .* journalctl/,
    );
  });
});
