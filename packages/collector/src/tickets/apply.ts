// Applies a check's evaluated status to its ticket inside the caller's transaction, writing the timeline.
import type { Status } from '@vigie/shared';
import type { Finding } from '../rules/thresholds.js';
import type { Db } from '../store/open.js';
import type { TicketTable } from '../store/schema.js';
import { addTicketEvent, findOpenTicket, insertTicket, updateTicket } from '../store/tickets.js';
import { decideTicketAction, dedupKey } from './lifecycle.js';

export interface StatusChange {
  tenantId: string;
  host: string;
  checkId: string;
  checkType: string;
  status: Status;
  message: string;
  observedAt: string;
  resultId: string;
  findings: Finding[];
}

export type TicketEffect =
  | { kind: 'opened'; ticket: TicketTable }
  | { kind: 'occurrence'; ticket: TicketTable; raised: boolean }
  | { kind: 'resolved'; ticket: TicketTable };

const SYSTEM_ACTOR = 'vigie';

export async function applyStatus(
  db: Db,
  change: StatusChange,
  deps: { newId: () => string; now: () => Date },
): Promise<TicketEffect | undefined> {
  const key = dedupKey(change.tenantId, change.host, change.checkId);
  const open = await findOpenTicket(db, key);
  const action = decideTicketAction(open, change.status);
  const at = deps.now().toISOString();
  const event = (ticketId: string, kind: string, details: Record<string, unknown>) =>
    addTicketEvent(db, {
      id: deps.newId(),
      ticket_id: ticketId,
      at,
      kind,
      actor: SYSTEM_ACTOR,
      details: JSON.stringify(details),
    });
  switch (action.kind) {
    case 'none':
      return undefined;
    case 'open': {
      const ticket: TicketTable = {
        id: deps.newId(),
        tenant_id: change.tenantId,
        host: change.host,
        check_id: change.checkId,
        dedup_key: key,
        status: 'open',
        severity: action.severity,
        title: `${change.checkId} ${action.severity} on ${change.host}`,
        message: change.message,
        occurrences: 1,
        opened_at: change.observedAt,
        last_seen_at: change.observedAt,
        resolved_at: null,
        updated_at: at,
      };
      await insertTicket(db, ticket);
      await event(ticket.id, 'opened', {
        severity: action.severity,
        message: change.message,
        resultId: change.resultId,
        checkType: change.checkType,
        findings: change.findings,
      });
      return { kind: 'opened', ticket };
    }
    case 'occurrence': {
      const t = open as TicketTable;
      const ticket: TicketTable = {
        ...t,
        occurrences: t.occurrences + 1,
        severity: action.severity,
        message: change.message,
        last_seen_at: change.observedAt,
        title: action.raised ? `${change.checkId} ${action.severity} on ${change.host}` : t.title,
        updated_at: at,
      };
      await updateTicket(db, t.id, {
        occurrences: ticket.occurrences,
        severity: ticket.severity,
        message: ticket.message,
        last_seen_at: ticket.last_seen_at,
        title: ticket.title,
        updated_at: at,
      });
      await event(t.id, action.raised ? 'severity_raised' : 'occurrence', {
        status: change.status,
        occurrences: ticket.occurrences,
        resultId: change.resultId,
        findings: change.findings,
      });
      return { kind: 'occurrence', ticket, raised: action.raised };
    }
    case 'resolve': {
      const t = open as TicketTable;
      const ticket: TicketTable = {
        ...t,
        status: 'resolved',
        resolved_at: change.observedAt,
        updated_at: at,
      };
      await updateTicket(db, t.id, { status: 'resolved', resolved_at: change.observedAt, updated_at: at });
      await event(t.id, 'resolved', {
        reason: 'check recovered',
        recoveredAt: change.observedAt,
        resultId: change.resultId,
      });
      return { kind: 'resolved', ticket };
    }
  }
}
