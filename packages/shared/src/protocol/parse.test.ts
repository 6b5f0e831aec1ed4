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

  it('drops a result that cannot be stored, naming its path, and keeps the others', () => {
    const bad = { ...result(), status: 'fine' };
    const good = result();
    const d = decodeAgentMessage(
      JSON.stringify({ v: 1, type: 'results', batchId: 'b1', results: [bad, good, 42] }),
    );
    if (!d.ok) throw new Error(d.error);
    expect(d.message).toMatchObject({ type: 'results', results: [good] });
    expect(d.dropped).toEqual([
      { what: 'result', path: '/results/0', reason: expect.stringContaining('/results/0/status') },
      { what: 'result', path: '/results/2', reason: expect.stringContaining('/results/2') },
    ]);
  });

  it('refuses a batch whose envelope is wrong, naming the path', () => {
    const d = decodeAgentMessage(JSON.stringify({ v: 1, type: 'results', results: [result()] }));
    expect(d).toMatchObject({ ok: false, code: 'invalid_message' });
    expect(!d.ok && d.error).toContain('/batchId');
    const empty = decodeAgentMessage(JSON.stringify({ v: 1, type: 'results', batchId: 'b', results: [] }));
    expect(!empty.ok && empty.error).toContain('/results');
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

  it('drops each metric that cannot be stored exactly, with its path and reason, and keeps the result', () => {
    const metrics = {
      'used_percent@/var': 41.5,
      'bad name': 'hello',
      load: 'high',
      '': 1,
      '@x': 1,
      time: 1,
      'time@/': 1,
      __proto__: 1,
      huge: 1e301,
      negative: -1e300,
      'tab@a\tb': 1,
      'newline@a\nb': 1,
      'cr@a\rb': 1,
      'slash@C:\\': 1,
      'lone@\ud800': 1,
      'pair@\ud83d\ude00 ok, = "quoted"': 2,
      [`long@/${'x'.repeat(256)}`]: 1,
      [`f${'x'.repeat(128)}`]: 1,
      'nothing@': 1,
      nulled: null,
      list: [1],
    };
    // Raw JSON: `__proto__` must arrive as a key, as it would on the wire.
    const raw = JSON.stringify({
      v: 1,
      type: 'results',
      batchId: 'b',
      results: [{ ...result(), metrics: {} }],
    }).replace('"metrics":{}', `"metrics":${JSON.stringify(metrics).replace('{', '{"__proto__":1,')}`);
    const d = decodeAgentMessage(raw);
    if (!d.ok) throw new Error(d.error);
    const kept = (d.message as { results: Array<{ metrics: object }> }).results[0]?.metrics;
    expect(kept).toEqual({
      'used_percent@/var': 41.5,
      negative: -1e300,
      'pair@\ud83d\ude00 ok, = "quoted"': 2,
    });
    const paths = d.dropped.map((x) => x.path);
    expect(paths).toContain('/results/0/metrics/bad name');
    expect(paths).toContain('/results/0/metrics/slash@C:\\');
    // A name as long as a frame is cut in the path: drops are logged and sent back to the agent.
    expect(paths).toContain(`/results/0/metrics/long@~1${'x'.repeat(94)}…`);
    expect(d.dropped).toHaveLength(Object.keys(metrics).length + 1 - 3);
    expect(d.dropped.every((x) => x.what === 'metric')).toBe(true);
    const reason = (name: string) => d.dropped.find((x) => x.path === `/results/0/metrics/${name}`)?.reason;
    expect(reason('load')).toBe('value must be a number, not string');
    expect(reason('time')).toContain('may not be `time`');
    expect(reason('huge')).toBe('value 1e+301 is beyond ±1e+300');
    expect(reason('tab@a\tb')).toContain('control character');
    expect(reason('@x')).toContain('empty field');
  });

  it('refuses unexpected properties of a result by dropping it', () => {
    const extra = { ...result(), tenant: 'someone-else' };
    const d = decodeAgentMessage(JSON.stringify({ v: 1, type: 'results', batchId: 'b', results: [extra] }));
    if (!d.ok) throw new Error(d.error);
    expect(d.message).toMatchObject({ results: [] });
    expect(d.dropped[0]?.reason).toContain('/results/0/tenant');
  });

  it('refuses a check type or an application that could not be a tag', () => {
    const badType = { ...result(), type: 'file system' };
    const d = decodeAgentMessage(JSON.stringify({ v: 1, type: 'results', batchId: 'b', results: [badType] }));
    expect(d.ok && d.dropped[0]?.reason).toContain('/results/0/type');
    const hello = (application: string) =>
      decodeAgentMessage(
        JSON.stringify({
          v: 1,
          type: 'hello',
          agent: { host: 'h', environment: 'production', application, version: '1' },
        }),
      );
    expect(hello('shop front ünïcode').ok).toBe(true);
    expect(hello('shop\nfront')).toMatchObject({ ok: false, code: 'invalid_message' });
    expect(hello('shop\\')).toMatchObject({ ok: false, code: 'invalid_message' });
  });

  it('never takes a message type from the object prototype', () => {
    for (const type of ['constructor', '__proto__', 'toString']) {
      expect(decodeAgentMessage(JSON.stringify({ v: 1, type }))).toMatchObject({
        ok: false,
        code: 'invalid_message',
      });
    }
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
