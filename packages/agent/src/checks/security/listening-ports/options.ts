// Options of the `listening-ports` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const LISTENING_PORTS_DEFAULTS = { ignoreLoopback: true, severity: 'warning' } as const;

/** `22/tcp`, `*:8080/tcp`, `127.0.0.1:5432/tcp`, `[::1]:6379/tcp`. */
export const ALLOW_ENTRY = /^(?:(\*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):)?(\d{1,5})\/(tcp|udp)$/;

export const ListeningPortsOptionsSchema = Type.Object(
  {
    allow: Type.Optional(
      Type.Array(
        Type.String({
          pattern: ALLOW_ENTRY.source,
          description:
            '`port/proto` on any address, `*:port/proto` on all interfaces, `addr:port/proto` on one',
        }),
        { description: 'the expected listening sockets (default: none, every listener is unexpected)' },
      ),
    ),
    ignoreLoopback: Type.Optional(
      Type.Boolean({
        default: LISTENING_PORTS_DEFAULTS.ignoreLoopback,
        description: 'leave out sockets bound only to 127.0.0.0/8 or ::1',
      }),
    ),
    severity: Type.Optional(
      Type.Union([Type.Literal('warning'), Type.Literal('critical')], {
        default: LISTENING_PORTS_DEFAULTS.severity,
        description: 'status when an unexpected socket listens',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ListeningPortsOptions = Static<typeof ListeningPortsOptionsSchema>;
