import { existsSync, readFileSync } from 'node:fs';
import { CATEGORIES } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import { checkTypes, isCheckType, loadCheck, loadChecks } from './registry.js';

// The folder of each check, to find its README.
const folders: Record<string, string> = {
  filesystem: 'performance/filesystem',
  cpu: 'performance/cpu',
  memory: 'performance/memory',
  'disk-io': 'performance/disk-io',
  network: 'performance/network',
  service: 'performance/service',
  http: 'performance/http',
  tcp: 'performance/tcp',
  'backup-freshness': 'backup/freshness',
  'backup-size': 'backup/size',
  'backup-retention': 'backup/retention',
  'backup-integrity': 'backup/integrity',
  restic: 'backup/restic',
  borg: 'backup/borg',
  'restore-test': 'backup/restore-test',
  'tls-certificate-file': 'security/tls-certificate',
  'tls-certificate-endpoint': 'security/tls-endpoint',
  'package-updates': 'security/updates',
  'reboot-required': 'security/reboot-required',
  'listening-ports': 'security/listening-ports',
  'sshd-config': 'security/sshd',
  accounts: 'security/accounts',
  'file-permissions': 'security/file-permissions',
  firewall: 'security/firewall',
  'failed-logins': 'security/failed-logins',
  fingerprint: 'drift/fingerprint',
  nagios: 'nagios',
};

describe('check registry', () => {
  it('knows every check by its config type, each with a folder', async () => {
    expect(checkTypes()).toEqual(Object.keys(folders).sort());
    expect((await loadCheck('filesystem'))?.category).toBe('performance');
    expect((await loadCheck('backup-freshness'))?.category).toBe('backup');
    expect((await loadCheck('tls-certificate-file'))?.category).toBe('security');
    expect((await loadCheck('fingerprint'))?.category).toBe('drift');
    expect(await loadCheck('disk')).toBeUndefined();
    expect(isCheckType('disk')).toBe(false);
    expect(isCheckType('toString')).toBe(false);
  });

  it('gives each check a summary, a known category and a closed options schema', async () => {
    for (const plugin of (await loadChecks(checkTypes())).values()) {
      expect(plugin.summary.length).toBeGreaterThan(10);
      expect(CATEGORIES).toContain(plugin.category);
      expect(plugin.options.type).toBe('object');
      expect(plugin.options.additionalProperties).toBe(false);
    }
  });

  it('documents every option of every check in its README', async () => {
    for (const [type, plugin] of await loadChecks(checkTypes())) {
      const readme = new URL(`./${folders[type]}/README.md`, import.meta.url);
      expect(existsSync(readme), `${type} has a README`).toBe(true);
      const text = readFileSync(readme, 'utf8');
      expect(text).toContain(`\`${type}\``);
      for (const option of Object.keys(plugin.options.properties)) expect(text).toContain(`\`${option}\``);
    }
  });
});
