import { describe, expect, it } from 'vitest';
import { buildParityReport, type ParityHost, toMarkdown } from './parity.js';
import { DEFAULT_IGNORE } from './rules.js';
import type { HostState } from './snapshots.js';
import { applySnapshot, decodeSnapshotItems, encodeSnapshotItems } from './snapshots.js';

const HMAC_A = `hmac-sha256:${'a1'.repeat(32)}`;
const HMAC_B = `hmac-sha256:${'b2'.repeat(32)}`;

function state(
  host: string,
  items: Record<string, string>,
  takenAt: string,
  seen: Record<string, string> = {},
): HostState {
  return {
    host,
    items: new Map(Object.entries(items)),
    snapshotId: `acme:${host}`,
    takenAt,
    firstSeen: (item) => seen[item],
  };
}

const PROD = {
  'os.hostname': 'prod-01',
  'net.eth0.ip': '10.0.1.10',
  'cpu.cores': '8',
  'runtime.postgresql': '15.8',
  'package.libc6': '2.36-9+deb12u9',
  'config./etc/shop/app.env.DB_PASSWORD': HMAC_A,
  'config./etc/shop/app.env.DB_HOST': 'db|prod',
};

describe('buildParityReport', () => {
  it('compares every other host with the first production host by name, and says so', () => {
    const hosts: ParityHost[] = [
      {
        host: 'prod-02',
        environment: 'production',
        state: state('prod-02', PROD, '2026-01-01T10:00:00.000Z'),
      },
      {
        host: 'prod-01',
        environment: 'production',
        state: state('prod-01', PROD, '2026-01-01T10:00:00.000Z'),
      },
      { host: 'stg-01', environment: 'staging', state: undefined },
      {
        host: 'iso-01',
        environment: 'iso-production',
        state: state(
          'iso-01',
          {
            ...PROD,
            'os.hostname': 'iso-01',
            'net.eth0.ip': '10.0.2.10',
            'cpu.cores': '4',
            'runtime.postgresql': '13.4',
            'package.libc6': '2.36-9+deb12u7',
            'config./etc/shop/app.env.DB_PASSWORD': HMAC_B,
          },
          '2026-01-02T10:00:00.000Z',
          { 'cpu.cores': '2026-01-02T09:00:00.000Z' },
        ),
      },
    ];
    const report = buildParityReport({
      tenant: 'acme',
      application: 'shop',
      generatedAt: '2026-01-03T00:00:00.000Z',
      hosts,
      ignore: DEFAULT_IGNORE,
    });
    expect(report?.reference).toEqual({
      host: 'prod-01',
      environment: 'production',
      takenAt: '2026-01-01T10:00:00.000Z',
    });
    expect(report?.notes).toEqual([
      '2 production hosts (prod-01, prod-02): compared with prod-01, the first by name that sent a snapshot.',
      'stg-01 (staging) has sent no snapshot yet: not compared.',
    ]);
    expect(report?.comparisons).toHaveLength(1);
    const c = report?.comparisons[0];
    expect(c?.differences.map((d) => [d.item, d.severity, d.production, d.other, d.firstSeenAt])).toEqual([
      ['runtime.postgresql', 'critical', '15.8', '13.4', '2026-01-02T10:00:00.000Z'],
      [
        'config./etc/shop/app.env.DB_PASSWORD',
        'warning',
        'hmac-sha256:a1a1a1a1…',
        'hmac-sha256:b2b2b2b2…',
        '2026-01-02T10:00:00.000Z',
      ],
      ['cpu.cores', 'warning', '8', '4', '2026-01-02T09:00:00.000Z'],
      ['package.libc6', 'info', '2.36-9+deb12u9', '2.36-9+deb12u7', '2026-01-02T10:00:00.000Z'],
    ]);
    expect(c?.counts).toEqual({ critical: 1, warning: 2, info: 1 });
    expect(c?.atParity).toBe(false);
    expect(c?.ignoredItems).toBe(2);
    expect(JSON.stringify(report)).not.toContain(HMAC_A.slice(20));
  });

  it('does not compare secrets hashed with different keys, and reports the key difference', () => {
    const withKey = (key: string, secret: string) => ({
      ...PROD,
      'secret.key.id': key,
      'config./etc/shop/app.env.DB_PASSWORD': secret,
    });
    const report = buildParityReport({
      tenant: 'acme',
      application: 'shop',
      generatedAt: '2026-01-03T00:00:00.000Z',
      hosts: [
        {
          host: 'prod-01',
          environment: 'production',
          state: state('prod-01', withKey('1111aaaa2222bbbb', HMAC_A), '2026-01-01T00:00:00.000Z'),
        },
        {
          host: 'stg-01',
          environment: 'staging',
          state: state('stg-01', withKey('3333cccc4444dddd', HMAC_B), '2026-01-01T00:00:00.000Z'),
        },
      ],
      ignore: DEFAULT_IGNORE,
    });
    expect(report?.comparisons[0]?.differences.map((d) => [d.item, d.severity, d.rule])).toEqual([
      ['secret.key.id', 'warning', 'secret.key'],
      ['config./etc/shop/app.env.DB_PASSWORD', 'info', 'config.secret.uncomparable'],
    ]);
  });

  it('gives no report without a production snapshot', () => {
    const report = buildParityReport({
      tenant: 'acme',
      application: 'shop',
      generatedAt: '2026-01-03T00:00:00.000Z',
      hosts: [
        { host: 'prod-01', environment: 'production', state: undefined },
        {
          host: 'iso-01',
          environment: 'iso-production',
          state: state('iso-01', PROD, '2026-01-01T00:00:00Z'),
        },
      ],
      ignore: [],
    });
    expect(report).toBeUndefined();
  });

  it('renders Markdown: summary, differences by severity, escaped cells, no secret', () => {
    const report = buildParityReport({
      tenant: 'acme',
      application: 'shop',
      generatedAt: '2026-01-03T00:00:00.000Z',
      hosts: [
        {
          host: 'prod-01',
          environment: 'production',
          state: state('prod-01', PROD, '2026-01-01T00:00:00.000Z'),
        },
        {
          host: 'iso-01',
          environment: 'iso-production',
          state: state(
            'iso-01',
            {
              ...PROD,
              'runtime.postgresql': '13.4',
              'config./etc/shop/app.env.DB_PASSWORD': HMAC_B,
              'config./etc/shop/app.env.DB_HOST': 'db`iso',
            },
            '2026-01-01T00:00:00.000Z',
          ),
        },
        { host: 'stg-01', environment: 'staging', state: state('stg-01', PROD, '2026-01-01T00:00:00.000Z') },
      ],
      ignore: DEFAULT_IGNORE,
    });
    if (!report) throw new Error('no report');
    const md = toMarkdown(report);
    expect(md).toContain('# Parity report: shop');
    expect(md).toContain('| iso-production | `iso-01` | 1 | 2 | 0 | **no** |');
    expect(md).toContain('| staging | `stg-01` | 0 | 0 | 0 | yes |');
    expect(md).toContain('### Critical (1)');
    expect(md).toContain('| `runtime.postgresql` | `15.8` | `13.4` |');
    expect(md).toContain('| ``db`iso`` |');
    expect(md).toContain('`db\\|prod`');
    expect(md).toContain('`hmac-sha256:b2b2b2b2…`');
    expect(md).not.toContain(HMAC_B);
    expect(md).toContain('Identical to production.');
    expect(md).toContain('| database.major | critical | different database major version |');
  });
});

describe('stored snapshot items', () => {
  it('keeps the removed keys of a delta, and reads the plain items object the gateway stores', () => {
    const delta = encodeSnapshotItems({ full: false, items: { a: '2' }, removed: ['b'] });
    expect(decodeSnapshotItems(delta)).toEqual({ items: new Map([['a', '2']]), removed: ['b'] });
    const full = encodeSnapshotItems({ full: true, items: { a: '1', b: '1' }, removed: [] });
    expect(full).toBe('{"a":"1","b":"1"}');
    const start = applySnapshot(undefined, true, decodeSnapshotItems(full));
    expect([...applySnapshot(start, false, decodeSnapshotItems(delta))]).toEqual([['a', '2']]);
    // An item named like the envelope's fields is still an item of a plain object.
    expect(decodeSnapshotItems('{"items":"x","removed":"y"}').items.get('items')).toBe('x');
    expect(decodeSnapshotItems('{"__proto__":"x"}').items.get('__proto__')).toBe('x');
  });
});
