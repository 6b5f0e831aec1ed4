import { describe, expect, it } from 'vitest';
import { toLineProtocol } from './line-protocol.js';

describe('toLineProtocol', () => {
  it('escapes measurement, tag and field names, sorts tags, writes floats with ms timestamps', () => {
    const line = toLineProtocol([
      {
        measurement: 'file system',
        tags: { tenant: 'acme corp', instance: '/mnt/a,b=c', host: 'web-01' },
        fields: { used_percent: 41, 'odd key': 0.5 },
        time: 1764331200000,
      },
    ]);
    expect(line).toBe(
      'file\\ system,host=web-01,instance=/mnt/a\\,b\\=c,tenant=acme\\ corp used_percent=41.0,odd\\ key=0.5 1764331200000',
    );
  });

  it('skips non-finite values, empty tags, and points left with no field', () => {
    const out = toLineProtocol([
      { measurement: 'm', tags: { a: '' }, fields: { x: Number.NaN }, time: 1 },
      { measurement: 'm', tags: { a: '' }, fields: { x: Number.POSITIVE_INFINITY, y: 2 }, time: 2 },
    ]);
    expect(out).toBe('m y=2.0 2');
  });
});
