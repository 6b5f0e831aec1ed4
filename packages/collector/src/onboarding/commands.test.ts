import { describe, expect, it } from 'vitest';
import { agentIngestUrl, formatOnboarding, onboardingCommands } from './commands.js';

describe('onboarding commands', () => {
  it('gives the agent an ingest URL whatever base the provider typed', () => {
    expect(agentIngestUrl('https://vigie.example')).toBe('wss://vigie.example/ingest');
    expect(agentIngestUrl('http://127.0.0.1:8470/')).toBe('ws://127.0.0.1:8470/ingest');
    expect(agentIngestUrl('wss://vigie.example:443/ingest')).toBe('wss://vigie.example/ingest');
    expect(() => agentIngestUrl('ftp://x')).toThrow(/ws:\/\/ or wss:\/\//);
    expect(() => agentIngestUrl('vigie.example')).toThrow(/not a URL/);
  });

  it('prints install then enroll for each distribution family', () => {
    const text = formatOnboarding(
      onboardingCommands({ url: 'wss://v.example/ingest', token: 'vge_abc', version: '1.2.3' }),
    );
    expect(text).toContain('  apt-get install ./vigie-agent_1.2.3_amd64.deb\n');
    expect(text).toContain(
      '  tar -xzf vigie-agent-1.2.3-linux-x64.tar.gz && ./vigie-agent-1.2.3-linux-x64/install.sh\n',
    );
    expect(text.match(/vigie-agent enroll --url wss:\/\/v\.example\/ingest --token vge_abc\n/g)).toHaveLength(
      2,
    );
  });
});
