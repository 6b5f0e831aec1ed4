import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_YAML } from './default.js';
import { ingestUrl, withCollector } from './edit.js';
import { parseConfig } from './load.js';

describe('config edit for enroll', () => {
  it('sets the URL and token file, keeps comments, drops an inline token', async () => {
    const text = `# provider notes: keep me
collector:
  url: ws://old.example/ingest   # the old one
  token: vga_inline_secret
host: { environment: staging, application: shop }  # staging box
checks:
  - { id: cpu, type: cpu, schedule: "0 * * * * *" }
`;
    const out = withCollector(text, { url: 'wss://new.example/ingest', tokenFile: '/etc/vigie/agent.token' });
    expect(out).toContain('# provider notes: keep me');
    expect(out).toContain('# staging box');
    expect(out).toContain('url: wss://new.example/ingest');
    expect(out).toContain('tokenFile: /etc/vigie/agent.token');
    expect(out).not.toContain('vga_inline_secret');
    const config = await parseConfig(out, '/nowhere/agent.yaml');
    expect(config.collector?.urls).toEqual(['wss://new.example/ingest']);
  });

  it('adds a collector section to a config without one', async () => {
    const out = withCollector(
      'host: { environment: production, application: a }\nchecks: [{ id: m, type: memory, schedule: "* * * * *" }]\n',
      { url: 'ws://127.0.0.1:1/ingest', tokenFile: 'agent.token', caFile: '/etc/vigie/ca.pem' },
    );
    expect(out).toMatch(
      /collector:\n {2}url: ws:\/\/127\.0\.0\.1:1\/ingest\n {2}tokenFile: agent\.token\n {2}caFile:/,
    );
  });

  it('keeps the embedded default valid after the edit', async () => {
    const out = withCollector(DEFAULT_CONFIG_YAML, {
      url: 'wss://v.example/ingest',
      tokenFile: '/x/agent.token',
    });
    expect((await parseConfig(out)).checks.length).toBeGreaterThan(5);
  });

  it('turns what the operator typed into the ingest URL, or says what is wrong in one line', () => {
    expect(ingestUrl('https://v.example')).toBe('wss://v.example/ingest');
    expect(ingestUrl('ws://127.0.0.1:8470/ingest')).toBe('ws://127.0.0.1:8470/ingest');
    expect(() => ingestUrl('v.example')).toThrow(/^--url: "v.example" is not a URL/);
    expect(() => ingestUrl('ftp://v.example')).toThrow(/not ws:\/\//);
  });
});
