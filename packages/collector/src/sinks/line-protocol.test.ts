import { Value } from '@sinclair/typebox/value';
import { CHECK_TYPE_PATTERN, METRIC_NAME_PATTERN, ResultSchema, tagTextPattern } from '@vigie/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePoint, encodePoints, encodePointUncached, formatValue } from './line-protocol.js';
import { resultToPoints } from './types.js';

const point = (over: object = {}) => ({
  measurement: 'm',
  tags: { host: 'web-01' },
  fields: { v: 1 },
  time: 1764331200000,
  ...over,
});

describe('encodePoint', () => {
  it('escapes measurement, tag and field names, sorts tags, writes floats with ms timestamps', () => {
    const e = encodePoint({
      measurement: 'file system',
      tags: { tenant: 'acme corp', instance: '/mnt/a,b=c', host: 'web-01', empty: '' },
      fields: { used_percent: 41, 'odd key': 0.5 },
      time: 1764331200000,
    });
    expect(e).toEqual({
      ok: true,
      line: 'file\\ system,host=web-01,instance=/mnt/a\\,b\\=c,tenant=acme\\ corp used_percent=41.0,odd\\ key=0.5 1764331200000',
    });
  });

  it('writes every finite number as a float InfluxDB parses, including integers beyond 1e21', () => {
    expect(formatValue(1e308)).toBe('1e+308');
    expect(formatValue(1e21)).toBe('1e+21');
    expect(formatValue(123456789012345680000)).toBe('123456789012345680000.0');
    expect(formatValue(-0)).toBe('0.0');
    expect(formatValue(5e-324)).toBe('5e-324');
    expect(formatValue(-2.5)).toBe('-2.5');
  });

  it('refuses, with the reason, what InfluxDB would refuse or store altered', () => {
    const refused = (over: object) => {
      const e = encodePoint(point(over));
      return e.ok ? undefined : e.reason;
    };
    expect(refused({ fields: { v: Number.NaN } })).toBe('field v is not a finite number');
    expect(refused({ fields: {} })).toBe('no field');
    expect(refused({ fields: { time: 1 } })).toBe('field key time is reserved');
    expect(refused({ tags: { time: 'x' } })).toBe('tag key time is reserved');
    expect(refused({ tags: { host: 'a\\' } })).toContain('holds "\\\\"');
    expect(refused({ tags: { host: 'a\tb' } })).toContain('holds "\\t"');
    expect(refused({ tags: { host: 'a\nb' } })).toContain('holds "\\n"');
    expect(refused({ tags: { host: 'a\rb' } })).toContain('holds "\\r"');
    expect(refused({ tags: { host: '\ud800' } })).toContain('not valid UTF-16');
    expect(refused({ measurement: '' })).toBe('measurement is empty');
    expect(refused({ measurement: '#m' })).toContain('comment');
    expect(refused({ tags: { host: 'x'.repeat(70_000) } })).toContain('series key over');
    expect(refused({ time: Date.parse('2263-01-01T00:00:00Z') })).toContain("outside InfluxDB's range");
    expect(refused({ time: Date.parse('1600-01-01T00:00:00Z') })).toContain("outside InfluxDB's range");
    expect(refused({ time: Number.NaN })).toContain("outside InfluxDB's range");
  });

  it('keeps the points it can write apart from the ones it refuses', () => {
    const good = point();
    const bad = point({ fields: { time: 1 } });
    const out = encodePoints([good, bad, good]);
    expect(out.lines).toHaveLength(2);
    expect(out.points).toEqual([good, good]);
    expect(out.refused).toEqual([{ point: bad, reason: 'not encodable: field key time is reserved' }]);
  });
});

describe('what ingest admits, the encoder writes', () => {
  it('every point of a result the shared schema accepts can be encoded', () => {
    const result = (metrics: Record<string, number>, type: string, checkId: string) => ({
      id: '0190c6e2-0000-7000-8000-000000000000',
      checkId,
      type,
      category: 'performance' as const,
      status: 'ok' as const,
      metrics,
      message: '',
      observedAt: '2026-11-28T12:00:00.000Z',
      durationMs: 4,
    });
    fc.assert(
      fc.property(
        fc.dictionary(
          fc
            .tuple(
              fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.]{0,127}$/),
              fc.option(fc.stringMatching(new RegExp(tagTextPattern(256)))),
            )
            .map(([field, instance]) => (instance === null ? field : `${field}@${instance}`))
            .filter((name) => new RegExp(METRIC_NAME_PATTERN).test(name)),
          fc.double({ min: -1e300, max: 1e300, noNaN: true }),
          { maxKeys: 5 },
        ),
        fc.stringMatching(new RegExp(CHECK_TYPE_PATTERN)).filter((t) => t.length <= 60),
        fc.stringMatching(new RegExp(tagTextPattern(100))),
        (metrics, type, application) => {
          const r = result(metrics, type, 'fs');
          fc.pre(Value.Check(ResultSchema, r));
          const points = resultToPoints(
            r,
            { tenant: 'acme', application, environment: 'production', host: 'web-01' },
            'ok',
          );
          for (const p of points) expect(encodePoint(p)).toMatchObject({ ok: true });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('encodePoint with its caches', () => {
  it('gives what the uncached encoder gives, for good and bad points, the first time and every time after', () => {
    // Few texts, some bad (control characters, backslash, reserved keys, empty): series and field keys repeat,
    // good ones get cached, and bad points that look like cached ones must still be refused.
    const text = fc.constantFrom(
      'web-01',
      'a b',
      'x,y=z',
      '',
      'time',
      'bad\u0000x',
      'back\\slash',
      '#c',
      '__name__',
      '1:a',
    );
    const point = fc.record({
      measurement: text,
      tags: fc.dictionary(text, text, { maxKeys: 4 }),
      fields: fc.dictionary(text, fc.constantFrom(1, 0.5, -0, 1e21, Number.NaN, Number.POSITIVE_INFINITY), {
        maxKeys: 3,
      }),
      time: fc.constantFrom(1764331200000, 1764331200000.6, Number.NaN, 1e16),
    });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 20 }), (points) => {
        for (let round = 0; round < 2; round++)
          for (const p of points) expect(encodePoint(p)).toEqual(encodePointUncached(p));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps apart measurements and tags that would run together', () => {
    const a = encodePoint({ measurement: 'm', tags: { a: 'b' }, fields: { v: 1 }, time: 0 });
    const b = encodePoint({ measurement: 'm1:a1:b', tags: {}, fields: { v: 1 }, time: 0 });
    expect(a).toEqual({ ok: true, line: 'm,a=b v=1.0 0' });
    expect(b).toEqual({ ok: true, line: 'm1:a1:b v=1.0 0' });
  });
});
