// Config of a webhook connector: where to POST, the HMAC key receivers verify with, extra headers, timeout.
import { type Static, Type } from '@sinclair/typebox';
import { ConnectorNameSchema, TimeoutSchema } from '../config.js';

export const WebhookConfigSchema = Type.Object(
  {
    kind: Type.Literal('webhook'),
    name: ConnectorNameSchema,
    url: Type.String({ pattern: '^https?://', description: 'receives a POST of each notification as JSON' }),
    secret: Type.String({
      minLength: 16,
      description: 'HMAC-SHA256 key; the receiver checks X-Vigie-Signature with it',
    }),
    headers: Type.Optional(
      Type.Record(Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }), Type.String(), {
        description:
          'sent with every request (e.g. an Authorization header); cannot replace the X-Vigie-* ones',
      }),
    ),
    timeout: Type.Optional(TimeoutSchema),
    tenant: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: "a client's own receiver: it gets only this tenant's tickets, notices and reports",
      }),
    ),
  },
  { additionalProperties: false },
);
export type WebhookConfig = Static<typeof WebhookConfigSchema>;
