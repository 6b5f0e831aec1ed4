import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_YAML } from './default.js';
import { ConfigError, parseConfig } from './load.js';

async function problems(yaml: string): Promise<string[]> {
  try {
    await parseConfig(yaml, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('agent config', () => {
  it('the embedded default is valid and fills defaults', async () => {
    const c = await parseConfig(DEFAULT_CONFIG_YAML);
    expect(c.checks.map((x) => x.type)).toEqual([
      'cpu',
      'memory',
      'filesystem',
      'disk-io',
      'network',
      'failed-logins',
      'firewall',
      'accounts',
      'sshd-config',
      'reboot-required',
      'package-updates',
      'fingerprint',
    ]);
    expect(c.host.name.length).toBeGreaterThan(0);
    expect(c.delivery.batchSize).toBe(200);
    expect(c.checks[2]?.timeoutMs).toBe(20_000);
  });

  it('refuses an application name the collector would refuse at hello (a tag of every metric)', async () => {
    const config = (application: string) => `
host: { environment: production, application: ${JSON.stringify(application)} }
checks: [{ id: fs, type: filesystem, schedule: "* * * * *" }]
`;
    expect(await problems(config('shop front'))).toEqual([]);
    expect((await problems(config('shop\\front'))).join()).toContain('/host/application');
    expect((await problems(config('shop\nfront'))).join()).toContain('/host/application');
  });

  it('names each bad key by its path and what was expected', async () => {
    const p = await problems(`
collector: { url: "http://wrong", tokn: abc }
host: { environment: prod, application: shop }
checks:
  - { id: fs, type: filesystem, schedule: "*/10 * * * * *", warningPercent: "high" }
  - { id: fs, type: nosuch, schedule: "every minute" }
  - { id: tls, type: tls-certificate-file, schedule: "0 * * * *", timeout: soon }
`);
    const text = p.join('\n');
    expect(text).toContain('/collector/tokn: Unexpected property');
    expect(text).toContain('/collector/url');
    expect(text).toContain('/host/environment');
    // Check-level problems come after the top level is valid, so check them with a valid top level.
    const p2 = (
      await problems(`
host: { environment: production, application: shop }
checks:
  - { id: fs, type: filesystem, schedule: "*/10 * * * * *", warningPercent: "high" }
  - { id: fs, type: nosuch, schedule: "every minute" }
  - { id: tls, type: tls-certificate-file, schedule: "0 * * * *", timeout: soon }
`)
    ).join('\n');
    expect(p2).toContain('/checks/0/warningPercent: Expected number');
    expect(p2).toContain('/checks/1/type: unknown check type "nosuch"');
    expect(p2).toContain('/checks/1/schedule: "every minute" is not a valid cron expression');
    expect(p2).toContain('/checks/1/id: duplicate check id "fs"');
    expect(p2).toContain('/checks/2/timeout: "soon" is not a duration');
    expect(p2).toContain('/checks/2/path');
    expect(
      (
        await problems(
          'host: { environment: production, application: a }\ndelivery: { heartbeat: often }\nchecks: [{ id: a, type: filesystem, schedule: "* * * * *" }]',
        )
      ).join(),
    ).toContain('/delivery/heartbeat: Expected union value (expected a duration such as 30s');
  });

  it('reports YAML syntax errors', async () => {
    expect((await problems('checks: [unclosed'))[0]).toContain('YAML syntax');
  });
});
