import { describe, expect, it } from 'vitest';
import { createIdGenerator } from '../ids.js';
import { decodeAgentMessage, decodeCollectorMessage } from './parse.js';

const newId = createIdGenerator();
const result = () => ({
  id: newId(),
  checkId: 'fs',
  type: 'filesystem',
  category: 'performance',
  status: 'ok',
  metrics: { 'used_percent@/': 41.5 },
  message: '/ 41.5% used',
  observedAt: '2026-11-28T12:00:00.000Z',
  durationMs: 3.2,
});

describe('decodeAgentMessage', () => {
  it('accepts a well-formed results batch', () => {
    const d = decodeAgentMessage(
      JSON.stringify({ v: 1, type: 'results', batchId: 'b1', results: [result()] }),
    );
    expect(d.ok).toBe(true);
  });

  it('names the path of a bad field', () => {
    const bad = { ...result(), status: 'fine' };
    const d = decodeAgentMessage(JSON.stringify({ v: 1, type: 'results', batchId: 'b1', results: [bad] }));
    expect(d).toMatchObject({ ok: false, code: 'invalid_message' });
    expect(!d.ok && d.error).toContain('/results/0/status');
  });

  it('refuses an unknown protocol version with its own code', () => {
    const d = decodeAgentMessage(JSON.stringify({ v: 99, type: 'hello' }));
    expect(d).toMatchObject({ ok: false, code: 'unsupported_version' });
    expect(!d.ok && d.error).toContain('99');
  });

  it('refuses text that is not JSON, JSON that is not an object, and unknown types', () => {
    expect(decodeAgentMessage('{oops')).toMatchObject({ ok: false, code: 'malformed_json' });
    expect(decodeAgentMessage('[1,2]')).toMatchObject({ ok: false, code: 'invalid_message' });
    const d = decodeAgentMessage(JSON.stringify({ v: 1, type: 'shell', cmd: 'rm -rf /' }));
    expect(d).toMatchObject({ ok: false, code: 'invalid_message' });
    expect(!d.ok && d.error).toContain('/type');
  });

  it('refuses non-numeric metrics and unexpected properties', () => {
    const withString = { ...result(), metrics: { load: 'high' } };
    expect(
      decodeAgentMessage(JSON.stringify({ v: 1, type: 'results', batchId: 'b', results: [withString] })).ok,
    ).toBe(false);
    const extra = { ...result(), tenant: 'someone-else' };
    const d = decodeAgentMessage(JSON.stringify({ v: 1, type: 'results', batchId: 'b', results: [extra] }));
    expect(!d.ok && d.error).toContain('/results/0/tenant');
  });
});

describe('decodeCollectorMessage', () => {
  it('accepts an ack and refuses an agent message in its place', () => {
    expect(
      decodeCollectorMessage(JSON.stringify({ v: 1, type: 'ack', batchId: 'b', accepted: 1, duplicates: 0 }))
        .ok,
    ).toBe(true);
    expect(decodeCollectorMessage(JSON.stringify({ v: 1, type: 'hello' })).ok).toBe(false);
  });
});
