import { describe, expect, it } from 'vitest';
import { sampleNotification } from '../testing/notification.js';
import { NOTIFICATION_KINDS } from '../types.js';
import { pagerDutySeverity, toPagerDutyEvent } from './event.js';

const KEY = 'R0UT1NGKEY0000000000000000000000';

describe('PagerDuty event mapping', () => {
  it('triggers on opened, updated, escalated, breached and at_risk; acknowledges; resolves on resolved and closed', () => {
    const actions = Object.fromEntries(
      NOTIFICATION_KINDS.map((kind) => [
        kind,
        toPagerDutyEvent(sampleNotification({ kind }), KEY).event_action,
      ]),
    );
    expect(actions).toEqual({
      opened: 'trigger',
      updated: 'trigger',
      escalated: 'trigger',
      breached: 'trigger',
      at_risk: 'trigger',
      acknowledged: 'acknowledge',
      resolved: 'resolve',
      closed: 'resolve',
    });
  });

  it('describes the ticket in the payload of a trigger, keyed by the ticket dedup key', () => {
    const n = sampleNotification({
      details: { daysSinceBackup: 3 },
      ticket: { url: 'https://vigie.example/tickets/tkt-0001' },
    });
    expect(toPagerDutyEvent(n, KEY)).toEqual({
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: 'acme/web-01/backup',
      payload: {
        summary: '[acme] web-01: Last backup is 3 days old',
        source: 'web-01',
        severity: 'critical',
        timestamp: '2026-11-28T12:00:00.000Z',
        component: 'backup',
        group: 'acme',
        class: 'opened',
        custom_details: {
          ticketId: 'tkt-0001',
          eventId: 'evt-0001',
          status: 'open',
          priority: 'P1',
          supportLevel: 'N2',
          openedAt: '2026-11-28T11:58:00.000Z',
          details: { daysSinceBackup: 3 },
        },
      },
      client: 'Vigie',
      client_url: 'https://vigie.example/tickets/tkt-0001',
      links: [{ href: 'https://vigie.example/tickets/tkt-0001', text: 'Vigie ticket tkt-0001' }],
    });
  });

  it('sends only the routing key, action and dedup key to acknowledge or resolve', () => {
    for (const kind of ['acknowledged', 'resolved', 'closed'] as const) {
      const event = toPagerDutyEvent(
        sampleNotification({ kind, ticket: { url: 'https://vigie.example/t/1' } }),
        KEY,
      );
      expect(Object.keys(event).sort()).toEqual(['dedup_key', 'event_action', 'routing_key']);
    }
  });

  it('says in the summary when an SLA is breached or at risk, or the ticket escalated', () => {
    const summary = (kind: 'breached' | 'at_risk' | 'escalated') =>
      toPagerDutyEvent(sampleNotification({ kind }), KEY).payload?.summary;
    expect(summary('breached')).toBe('SLA breached: [acme] web-01: Last backup is 3 days old');
    expect(summary('at_risk')).toBe('SLA at risk: [acme] web-01: Last backup is 3 days old');
    expect(summary('escalated')).toBe('Escalated: [acme] web-01: Last backup is 3 days old');
  });

  it('maps Vigie severities onto PagerDuty ones, keeping their order', () => {
    expect(['critical', 'warning', 'unknown', 'ok'].map(pagerDutySeverity)).toEqual([
      'critical',
      'warning',
      'info',
      'info',
    ]);
    expect(pagerDutySeverity('something-new')).toBe('error');
  });

  it('keeps within PagerDuty limits: summary 1024 characters, dedup_key 255', () => {
    const long = sampleNotification({
      ticket: { title: 'x'.repeat(3000), dedupKey: `acme/${'h'.repeat(300)}/disk` },
    });
    const event = toPagerDutyEvent(long, KEY);
    expect(event.payload?.summary).toHaveLength(1024);
    expect(event.dedup_key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(event.dedup_key).toBe(toPagerDutyEvent({ ...long, kind: 'resolved' }, KEY).dedup_key);
    expect(event.dedup_key).not.toBe(
      toPagerDutyEvent(sampleNotification({ ticket: { dedupKey: `acme/${'h'.repeat(300)}/cpu` } }), KEY)
        .dedup_key,
    );
  });

  it('falls back to the check id when the ticket has no title', () => {
    expect(toPagerDutyEvent(sampleNotification({ ticket: { title: '' } }), KEY).payload?.summary).toBe(
      '[acme] web-01: backup',
    );
  });
});
