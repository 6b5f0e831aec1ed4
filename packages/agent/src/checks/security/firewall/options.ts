// Options of the `firewall` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const FIREWALL_DEFAULTS = { require: 'any', minRules: 1 } as const;

export const FirewallOptionsSchema = Type.Object(
  {
    require: Type.Optional(
      Type.Union([Type.Literal('any'), Type.Literal('nftables'), Type.Literal('iptables')], {
        default: FIREWALL_DEFAULTS.require,
        description: 'which tool must show the rules: any (the one with more), nftables or iptables',
      }),
    ),
    minRules: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: FIREWALL_DEFAULTS.minRules,
        description: 'critical below this many rules (a base chain with policy drop counts as one)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type FirewallOptions = Static<typeof FirewallOptionsSchema>;
