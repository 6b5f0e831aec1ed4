// Connector kinds by name: the one place a new connector folder is registered.
import { type Static, Type } from '@sinclair/typebox';
import { EmailConfigSchema } from './email/config.js';
import { EmailConnector } from './email/sender.js';
import { PagerDutyConfigSchema } from './pagerduty/config.js';
import { PagerDutyConnector } from './pagerduty/sender.js';
import type { Connector } from './types.js';
import { WebhookConfigSchema } from './webhook/config.js';
import { WebhookConnector } from './webhook/sender.js';

/** One `{ kind: ... }` member per connector kind, for the collector config's `connectors:` list. */
export const ConnectorConfigSchema = Type.Union([
  WebhookConfigSchema,
  PagerDutyConfigSchema,
  EmailConfigSchema,
]);
export type ConnectorConfig = Static<typeof ConnectorConfigSchema>;

export function createConnector(config: ConnectorConfig, now: () => Date): Connector {
  switch (config.kind) {
    case 'webhook':
      return new WebhookConnector(config, now);
    case 'pagerduty':
      return new PagerDutyConnector(config);
    case 'email':
      return new EmailConnector(config);
  }
}

/** Builds the configured connectors; throws when two share a name (deliveries are recorded by name). */
export function createConnectors(configs: readonly ConnectorConfig[], now: () => Date): Connector[] {
  const seen = new Set<string>();
  return configs.map((config) => {
    if (seen.has(config.name))
      throw new Error(`two connectors are named "${config.name}": names must be unique`);
    seen.add(config.name);
    return createConnector(config, now);
  });
}
