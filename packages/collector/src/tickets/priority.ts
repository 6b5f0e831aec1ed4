// The priority matrix: how urgent a ticket is, from its severity and how critical its environment is.
//
//              production   iso-production   staging
//   critical       P1             P2            P3
//   warning        P2             P3            P4
//   unknown        P3             P4            P4
//
// P1 is the most urgent; each priority has its own response and resolution targets in the contract.
import type { Status } from '@vigie/shared';

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];

const MATRIX: Record<string, Record<string, Priority>> = {
  critical: { production: 'P1', 'iso-production': 'P2', staging: 'P3' },
  warning: { production: 'P2', 'iso-production': 'P3', staging: 'P4' },
  unknown: { production: 'P3', 'iso-production': 'P4', staging: 'P4' },
};

export function priorityFor(severity: Status, environment: string): Priority {
  return MATRIX[severity]?.[environment] ?? 'P4';
}
