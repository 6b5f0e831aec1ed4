// Config of an e-mail connector: the SMTP server (TLS, authentication), sender, recipients (all tickets, and per
// tenant), the language and time zone of the texts, and the timeout.
import { type Static, Type } from '@sinclair/typebox';
import { NOTIFICATION_LOCALES } from '../../i18n/notifications.js';
import { ConnectorNameSchema, TimeoutSchema } from '../config.js';

const Address = Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@<>]+@[^\\s@<>]+$' });

export const EmailConfigSchema = Type.Object(
  {
    kind: Type.Literal('email'),
    name: ConnectorNameSchema,
    smtp: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Optional(
          Type.Integer({ minimum: 1, maximum: 65535, description: 'default 587 (465 with tls: implicit)' }),
        ),
        tls: Type.Optional(
          Type.Union([Type.Literal('starttls'), Type.Literal('implicit'), Type.Literal('none')], {
            description:
              'starttls (default): upgrade the connection and refuse a server that cannot; implicit: TLS from the start (port 465); none: plain text (a relay on the same host only)',
          }),
        ),
        username: Type.Optional(Type.String({ minLength: 1 })),
        password: Type.Optional(Type.String({ minLength: 1 })),
        caFile: Type.Optional(
          Type.String({ minLength: 1, description: 'a private CA for the server certificate' }),
        ),
      },
      { additionalProperties: false },
    ),
    from: Address,
    to: Type.Array(Address, { description: 'receive every notification' }),
    tenants: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.Array(Address), {
        description: "a tenant's own recipients, for its tickets only (e.g. the client's IT team)",
      }),
    ),
    locale: Type.Optional(
      Type.Union(
        NOTIFICATION_LOCALES.map((l) => Type.Literal(l)),
        { description: 'language of the texts, default en' },
      ),
    ),
    timeZone: Type.Optional(
      Type.String({ minLength: 1, description: 'zone of the dates in the texts, default UTC' }),
    ),
    timeout: Type.Optional(TimeoutSchema),
  },
  { additionalProperties: false },
);
export type EmailConfig = Static<typeof EmailConfigSchema>;
