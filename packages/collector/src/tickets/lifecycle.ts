// What a check's new status does to its ticket: open, count an occurrence, raise severity, or resolve.
import { type Status, statusSeverity } from '@vigie/shared';
import type { TicketTable } from '../store/schema.js';

export type TicketAction =
  | { kind: 'none' }
  | { kind: 'open'; severity: Status }
  | { kind: 'occurrence'; severity: Status; raised: boolean }
  | { kind: 'resolve' };

export function decideTicketAction(open: TicketTable | undefined, status: Status): TicketAction {
  if (status === 'ok') return open ? { kind: 'resolve' } : { kind: 'none' };
  if (!open) return { kind: 'open', severity: status };
  const current = open.severity as Status;
  const raised = statusSeverity(status) > statusSeverity(current);
  return { kind: 'occurrence', severity: raised ? status : current, raised };
}

export function dedupKey(tenantId: string, host: string, checkId: string): string {
  return `${tenantId}/${host}/${checkId}`;
}
