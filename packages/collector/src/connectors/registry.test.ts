import { validate } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import { PagerDutyConfigSchema } from './pagerduty/config.js';
import { PagerDutyConnector } from './pagerduty/sender.js';
import { type ConnectorConfig, ConnectorConfigSchema, createConnectors } from './registry.js';
import { WebhookConfigSchema } from './webhook/config.js';
import { WebhookConnector } from './webhook/sender.js';

const webhook: ConnectorConfig = {
  kind: 'webhook',
  name: 'itsm',
  url: 'https://itsm.example/hooks/vigie',
  secret: 'a-long-enough-shared-secret',
  headers: { Authorization: 'Bearer abc' },
  timeout: '5s',
};
const pagerduty: ConnectorConfig = {
  kind: 'pagerduty',
  name: 'oncall',
  routingKey: 'R0UT1NGKEY0000000000000000000000',
};
const now = () => new Date();

describe('connector config', () => {
  it('accepts a webhook and a PagerDuty connector', () => {
    expect(validate(ConnectorConfigSchema, webhook).ok).toBe(true);
    expect(validate(ConnectorConfigSchema, pagerduty).ok).toBe(true);
  });

  it('names the bad keys', () => {
    const r = validate(WebhookConfigSchema, { ...webhook, url: 'ftp://x', secret: 'short', timeout: 'soon' });
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors.join('\n');
    expect(errors).toContain('/url');
    expect(errors).toContain('/secret');
    expect(errors).toContain('/timeout');
    const p = validate(PagerDutyConfigSchema, { ...pagerduty, routingKey: '', extra: 1 });
    expect(p.ok ? [] : p.errors.join('\n')).toMatch(/\/routingKey[\s\S]*\/extra|\/extra[\s\S]*\/routingKey/);
  });

  it('builds one connector per entry, by kind', () => {
    const [w, p] = createConnectors([webhook, pagerduty], now);
    expect(w).toBeInstanceOf(WebhookConnector);
    expect(p).toBeInstanceOf(PagerDutyConnector);
    expect([w?.name, p?.name]).toEqual(['itsm', 'oncall']);
  });

  it('refuses two connectors with the same name: deliveries are recorded by name', () => {
    expect(() => createConnectors([webhook, { ...pagerduty, name: 'itsm' }], now)).toThrow(
      /two connectors are named "itsm"/,
    );
  });
});
