import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CollectorConfigError, loadCollectorConfig } from './load.js';

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-cfg-'));
  const p = join(dir, 'collector.yaml');
  writeFileSync(p, text);
  return p;
}

describe('loadCollectorConfig', () => {
  it('runs on embedded defaults with no file', () => {
    const c = loadCollectorConfig(undefined, { dataDir: '/tmp/x' });
    expect(c.store).toEqual({ kind: 'sqlite', path: '/tmp/x/state.db' });
    expect(c.metrics).toMatchObject({
      kind: 'embedded',
      path: '/tmp/x/metrics.db',
      retentionMs: 604_800_000,
    });
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 8470 });
  });

  it('resolves an InfluxDB 1.x sink and PostgreSQL store', () => {
    const c = loadCollectorConfig(
      configFile(`store: { kind: postgres, url: "postgres://u@127.0.0.1/db" }
metrics: { kind: influx-v1, url: "http://127.0.0.1:8086", database: vigie, timeout: 5s }
rules:
  - { id: disk, metric: used_percent, warning: 80, critical: 90 }
`),
    );
    expect(c.metrics).toEqual({
      kind: 'influx-v1',
      url: 'http://127.0.0.1:8086',
      database: 'vigie',
      timeoutMs: 5000,
    });
    expect(c.store).toMatchObject({ kind: 'postgres' });
    expect(c.rules).toHaveLength(1);
  });

  it('names every bad key by its path', () => {
    const file = configFile(`metrics: { kind: influx-v3, url: x }
store: { kind: postgres, url: "mysql://nope" }
listen: { port: "eighty" }
rules:
  - { id: r, metric: m, warning: high }
colour: blue
`);
    let err: CollectorConfigError | undefined;
    try {
      loadCollectorConfig(file);
    } catch (e) {
      err = e as CollectorConfigError;
    }
    expect(err).toBeInstanceOf(CollectorConfigError);
    const text = err?.problems.join('\n') ?? '';
    expect(text).toContain('/metrics/kind: expected one of embedded, influx-v1, influx-v2, got "influx-v3"');
    expect(text).toContain('/store/url');
    expect(text).toContain('/listen/port');
    expect(text).toContain('/rules/0/warning');
    expect(text).toContain('/colour');
  });
});

describe('tickets, SLA and connectors config', () => {
  it('validates the default SLA contract and the connectors, naming bad keys', () => {
    let err: CollectorConfigError | undefined;
    try {
      loadCollectorConfig(
        configFile(`sla:
  calendar: { kind: business, timeZone: Mars/Olympus, days: [1], hours: [{ from: "18:00", to: "09:00" }] }
  response: { P1: 2h, P2: 6h, P3: 24h, P4: 3d }
  resolution: { P1: 8h, P2: 24h, P3: 3d, P4: 10d }
connectors:
  - { kind: webhook, name: noc, url: "http://127.0.0.1:9/hook", secret: "0123456789abcdef" }
  - { kind: sms, name: x }
`),
      );
    } catch (e) {
      err = e as CollectorConfigError;
    }
    const text = err?.problems.join('\n') ?? '';
    expect(text).toContain('/sla/calendar');
    expect(text).toContain('/connectors/1/kind');
    expect(text).not.toContain('/connectors/0');
  });
});
