import { describe, expect, it } from 'vitest';
import type { TicketTable } from '../store/schema.js';
import { decideTicketAction } from './lifecycle.js';

const open = (severity: string): TicketTable => ({
  id: 't1',
  tenant_id: 'acme',
  host: 'web-01',
  check_id: 'fs',
  dedup_key: 'acme/web-01/fs',
  status: 'open',
  severity,
  title: '',
  message: '',
  occurrences: 3,
  opened_at: '',
  last_seen_at: '',
  resolved_at: null,
  updated_at: '',
});

describe('decideTicketAction', () => {
  it('opens on a first non-ok status and does nothing on ok without a ticket', () => {
    expect(decideTicketAction(undefined, 'warning')).toEqual({ kind: 'open', severity: 'warning' });
    expect(decideTicketAction(undefined, 'ok')).toEqual({ kind: 'none' });
  });
  it('counts repeats, raises severity on worsening, never lowers it', () => {
    expect(decideTicketAction(open('warning'), 'critical')).toEqual({
      kind: 'occurrence',
      severity: 'critical',
      raised: true,
    });
    expect(decideTicketAction(open('critical'), 'warning')).toEqual({
      kind: 'occurrence',
      severity: 'critical',
      raised: false,
    });
  });
  it('resolves on recovery', () => {
    expect(decideTicketAction(open('critical'), 'ok')).toEqual({ kind: 'resolve' });
  });
});
