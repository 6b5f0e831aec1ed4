import { describe, expect, it } from 'vitest';
import { SinkUnavailableError, storeAnswer, writeIsolating } from './isolate.js';

/** A store that refuses (400) any request holding a line with `bad`, as InfluxDB refuses a whole request. */
function store(status = 400) {
  const written: string[] = [];
  const requests: string[][] = [];
  const post = async (body: string) => {
    const lines = body.split('\n');
    requests.push(lines);
    if (lines.some((l) => l.includes('bad')))
      return { ok: false as const, status, reason: 'field type conflict' };
    written.push(...lines);
    return { ok: true as const };
  };
  return { written, requests, post };
}

describe('writeIsolating', () => {
  it('splits a refused request until the bad lines are alone: everything else is written', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => (i === 10 || i === 777 ? `bad ${i}` : `good ${i}`));
    const s = store();
    const out = await writeIsolating(lines, 'test store', s.post);
    expect(out.refused.map((r) => r.index)).toEqual([10, 777]);
    expect(out.refused[0]?.reason).toBe('test store refused it: HTTP 400 field type conflict');
    expect(new Set(s.written)).toEqual(new Set(lines.filter((l) => l.startsWith('good'))));
    // Two bad lines in a thousand cost a few dozen requests, not a thousand.
    expect(out.requests).toBeLessThan(45);
  });

  it('cuts a write of any size into requests the store takes', async () => {
    const lines = Array.from({ length: 12_001 }, (_, i) => `good ${i}`);
    const s = store();
    const out = await writeIsolating(lines, 'test store', s.post);
    expect(s.requests.map((r) => r.length)).toEqual([5000, 5000, 2001]);
    expect(out).toEqual({ refused: [], requests: 3 });
  });

  it('treats 5xx, 401, 403, 404 and 429 as the store being unavailable: the write is retried whole', async () => {
    for (const status of [500, 502, 503, 401, 403, 404, 429]) {
      const s = store(status);
      await expect(writeIsolating(['good', 'bad'], 'test store', s.post)).rejects.toThrow(
        SinkUnavailableError,
      );
      expect(s.requests).toHaveLength(1);
    }
  });

  it("reads InfluxDB's JSON error and keeps any other body as text", () => {
    expect(storeAnswer(400, '{"error":"partial write: x"}')).toEqual({
      ok: false,
      status: 400,
      reason: 'partial write: x',
    });
    expect(storeAnswer(502, '<html>bad gateway</html>')).toEqual({
      ok: false,
      status: 502,
      reason: '<html>bad gateway</html>',
    });
    expect(storeAnswer(204, '')).toEqual({ ok: true });
  });
});
