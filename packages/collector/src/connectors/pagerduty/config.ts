// Config of a PagerDuty connector: the Events API v2 integration's routing key, the endpoint, the timeout.
import { type Static, Type } from '@sinclair/typebox';
import { ConnectorNameSchema, TimeoutSchema } from '../config.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export const PagerDutyConfigSchema = Type.Object(
  {
    kind: Type.Literal('pagerduty'),
    name: ConnectorNameSchema,
    routingKey: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'the Integration Key of an Events API v2 integration on the PagerDuty service',
    }),
    url: Type.Optional(
      Type.String({
        pattern: '^https?://',
        default: PAGERDUTY_EVENTS_URL,
        description: 'the Events API v2 endpoint',
      }),
    ),
    timeout: Type.Optional(TimeoutSchema),
  },
  { additionalProperties: false },
);
export type PagerDutyConfig = Static<typeof PagerDutyConfigSchema>;
