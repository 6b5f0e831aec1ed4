// Options of the `sshd-config` check: how to ask sshd, and the policy its effective settings must meet.
import { type Static, Type } from '@sinclair/typebox';

export const ExpectedValueSchema = Type.Union(
  [
    Type.String({ minLength: 1, description: 'the only allowed value' }),
    Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'the allowed values' }),
    Type.Object(
      { max: Type.Integer() },
      { additionalProperties: false, description: 'a number at most max' },
    ),
    Type.Object(
      { min: Type.Integer() },
      { additionalProperties: false, description: 'a number at least min' },
    ),
  ],
  { description: 'a value, a list of allowed values, {max: n} or {min: n}' },
);
export type ExpectedValue = Static<typeof ExpectedValueSchema>;

export const SshdPolicySchema = Type.Record(Type.String({ pattern: '^[a-z0-9]+$' }), ExpectedValueSchema, {
  additionalProperties: false,
  description: 'lowercase sshd keyword (as `sshd -T` prints it) -> expected value',
});
export type SshdPolicy = Static<typeof SshdPolicySchema>;

/** A hardened baseline: no password logins, root only with a key, no empty passwords, no X11, few tries. */
export const DEFAULT_SSHD_POLICY: SshdPolicy = {
  // `without-password` is the older spelling of `prohibit-password`; OpenSSH 9.2's `sshd -T` still prints it.
  permitrootlogin: ['no', 'prohibit-password', 'without-password'],
  passwordauthentication: 'no',
  permitemptypasswords: 'no',
  x11forwarding: 'no',
  maxauthtries: { max: 4 },
};

export const SSHD_DEFAULTS = { binary: 'sshd' } as const;

export const SshdOptionsSchema = Type.Object(
  {
    binary: Type.Optional(
      Type.String({
        minLength: 1,
        default: SSHD_DEFAULTS.binary,
        description: 'the sshd program: a name looked up on PATH and the sbin folders, or a path',
      }),
    ),
    extraArgs: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'more arguments after -T, e.g. ["-C", "user=deploy,host=app,addr=10.0.0.9"] for Match blocks',
      }),
    ),
    policy: Type.Optional(SshdPolicySchema),
  },
  { additionalProperties: false },
);
export type SshdOptions = Static<typeof SshdOptionsSchema>;
