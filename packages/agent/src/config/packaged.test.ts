import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_YAML } from './default.js';
import { parseConfig } from './load.js';

// The commented /etc/vigie/agent.yaml the packages install is the embedded default with comments: same checks.
describe('the packaged config', () => {
  it('is valid, sends nowhere until enrolled, and runs the default checks', async () => {
    const text = readFileSync(new URL('../../packaging/agent.yaml', import.meta.url), 'utf8');
    const packaged = await parseConfig(text, '/etc/vigie/agent.yaml');
    const embedded = await parseConfig(DEFAULT_CONFIG_YAML);
    expect(packaged.checks).toEqual(embedded.checks);
    expect(packaged.collector?.tokenFile).toBe('/etc/vigie/agent.token');
    expect(packaged.collector?.url).toBe('wss://collector.invalid/ingest');
  });
});
