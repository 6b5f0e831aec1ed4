// The monthly client report: figures worked out by hand for a known month, the same figures in the HTML and in
// the PDF printed by the real headless Chromium (read back with poppler's pdftotext), made on the first day of
// the month in the tenant's time zone by the sweep, stored, listed, and delivered to a real webhook receiver.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../../packages/collector/src/connectors/testing/receiver.js';
import type { ReportData } from '../../packages/collector/src/reports/compute.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { ensureBinary } from '../support/packages.js';
import { fillMarch } from '../support/tenant-scenario.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const SECRET = 'a-long-shared-secret-for-tests';

interface Stored {
  id: string;
  tenant: string;
  kind: string;
  label: string;
  pdf: boolean;
  pdfSha256: string;
  data: ReportData;
}

/** French figures as the report writes them: decimal comma, no grouping. */
const fr = (n: number | null) => (n === null ? '—' : String(n).replace('.', ','));
const frPct = (n: number | null) => (n === null ? '—' : `${fr(n)} %`);
const quote = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ %$/, '\\s*%');
/** A row of the PDF's text: the cells in order, separated by any spacing (pdftotext may close up "0 %"). */
const row = (...cells: string[]) => new RegExp(cells.map(quote).join('\\s+'));

describe('monthly client report', () => {
  let t: TestCollector;
  let receiver: Receiver;
  let pdftotext: string;

  beforeAll(async () => {
    pdftotext = await ensureBinary('pdftotext', 'poppler-utils');
    receiver = await Receiver.start(() => ({ status: 200 }));
    t = await startTestCollector({
      dialect: 'sqlite',
      config: {
        connectors: [
          { kind: 'webhook', name: 'acme-itsm', url: receiver.url('/acme'), secret: SECRET, tenant: 'acme' },
        ],
      },
    });
    await fillMarch(t);
  });
  afterAll(async () => {
    await t?.dispose();
    await receiver?.close();
  });

  it('computes the month worked out by hand, and the PDF shows the figures of the API', async () => {
    const made = await t.collector.reports.monthlyPass();
    expect(made.map((r) => r.report_key)).toEqual(['monthly:acme:2026-03']);
    expect(await t.collector.reports.monthlyPass()).toEqual([]);
    const list = await t.api<Stored[]>('GET', '/api/reports?tenant=acme', t.providerKey);
    expect(list.body.map((r) => [r.kind, r.label, r.pdf])).toEqual([['monthly', '2026-03', true]]);
    const report = (await t.api<Stored>('GET', `/api/reports/${list.body[0]?.id}`, t.providerKey)).body;
    const d = report.data;
    expect(d.period).toEqual({
      from: '2026-02-28T23:00:00.000Z',
      to: '2026-03-31T22:00:00.000Z',
      label: '2026-03',
      timeZone: 'Europe/Paris',
    });
    expect(
      d.sla.byPriority.map((p) => [
        p.priority,
        p.tickets,
        p.response.met,
        p.response.breached,
        p.resolution.met,
        p.resolution.breached,
      ]),
    ).toEqual([
      ['P1', 2, 2, 0, 2, 0],
      ['P2', 1, 0, 1, 1, 0],
      ['P3', 1, 0, 1, 0, 1],
      ['P4', 0, 0, 0, 0, 0],
    ]);
    expect(d.sla.compliancePercent).toBe(62.5);
    expect(d.sla.breaches.map((b) => [b.priority, b.target])).toEqual([
      ['P2', 'response'],
      ['P3', 'response'],
      ['P3', 'resolution'],
    ]);
    expect(d.tickets.byCategory).toEqual([
      { category: 'availability', opened: 1, resolved: 1 },
      { category: 'backup', opened: 1, resolved: 1 },
      { category: 'performance', opened: 1, resolved: 1 },
      { category: 'request', opened: 1, resolved: 0 },
    ]);
    expect([d.mttaSeconds, d.mttrSeconds]).toEqual([15300, 32400]);
    expect(d.availability.hosts.map((h) => [h.host, h.downSeconds, h.unreachableSeconds, h.percent])).toEqual(
      [
        ['db-01', 0, 7200, 99.73],
        ['web-01', 10800, 0, 99.6],
        ['web-iso-01', 0, 0, 100],
      ],
    );
    expect(d.backups.checks.map((c) => [c.check, c.results, c.ok, c.failed])).toEqual([
      ['db-backup', 31, 30, 1],
      ['restore', 4, 3, 1],
    ]);
    expect(d.backups.restoreTests).toEqual({ runs: 4, passed: 3 });
    expect(d.security.updates).toEqual([{ host: 'web-01', check: 'updates', maxPending: 5, lastPending: 0 }]);
    expect(d.security.certificates).toEqual([
      { host: 'web-01', check: 'cert', instance: '', minDaysLeft: 20, lastDaysLeft: 20, expiring: true },
    ]);
    expect(d.parity.map((p) => [p.environment, p.host, p.atParity, p.critical])).toEqual([
      ['iso-production', 'web-iso-01', false, 1],
    ]);
    expect(d.usage?.ticketBook).toEqual({
      opening: 10,
      credited: 0,
      consumed: 8,
      corrections: 0,
      closing: 2,
      deductions: 3,
    });
    expect(d.maintenance).toEqual([
      {
        application: null,
        host: 'web-iso-01',
        check: null,
        kind: 'window',
        reason: 'Mise à jour PostgreSQL',
        runs: [{ from: '2026-03-18T22:00:00.000Z', to: '2026-03-19T00:30:00.000Z' }],
        coveredSeconds: 9000,
      },
    ]);
    expect(d.risksAhead).toEqual([]);

    // The PDF, printed by Chromium, read back by pdftotext: every figure as the API has it, in French.
    const pdf = await t.collector.app.inject({
      method: 'GET',
      url: `/api/reports/${report.id}/pdf`,
      headers: { authorization: `Bearer ${t.providerKey}` },
    });
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const file = join(t.dir, 'report.pdf');
    await writeFile(file, pdf.rawPayload);
    const { stdout: text } = await run(pdftotext, ['-layout', file, '-']);
    expect(text).toContain('Rapport de maintenance — ACME SA');
    expect(text).toMatch(row('Période', '01/03/2026', '–', '31/03/2026', '(2026-03)'));
    expect(text).toMatch(row('Respect des SLA', frPct(d.sla.compliancePercent)));
    expect(text).toMatch(row('Délai moyen de prise en charge (MTTA)', '4 h 15 min'));
    expect(text).toMatch(row('Délai moyen de résolution (MTTR)', '9 h 00 min'));
    for (const p of d.sla.byPriority) {
      const cells = [p.tickets, p.response.met, p.response.breached].map(fr);
      expect(text).toMatch(
        row(
          p.priority,
          ...cells,
          frPct(p.response.percent),
          fr(p.resolution.met),
          fr(p.resolution.breached),
          frPct(p.resolution.percent),
        ),
      );
    }
    for (const c of d.tickets.byCategory) {
      const label = {
        availability: 'Disponibilité',
        backup: 'Sauvegarde',
        performance: 'Performance',
        request: 'Demande',
      }[c.category] as string;
      expect(text).toMatch(row(label, fr(c.opened), fr(c.resolved)));
    }
    for (const h of d.availability.hosts) expect(text).toMatch(row(h.host, h.application, h.environment));
    for (const h of d.availability.hosts)
      expect(text).toMatch(new RegExp(`${h.host}.*${quote(frPct(h.percent))}`));
    for (const c of d.backups.checks)
      expect(text).toMatch(row(c.host, c.check, fr(c.results), fr(c.ok), fr(c.failed)));
    expect(text).toMatch(
      row(
        'Tests de restauration (réussis, exécutés)',
        fr(d.backups.restoreTests.passed),
        fr(d.backups.restoreTests.runs),
      ),
    );
    expect(text).toMatch(row('web-01', 'updates', fr(5), fr(0)));
    expect(text).toMatch(row('web-01', 'cert', fr(20), fr(20), 'expire bientôt'));
    const book = d.usage?.ticketBook as NonNullable<NonNullable<ReportData['usage']>['ticketBook']>;
    expect(text).toMatch(row('Solde initial', fr(book.opening)));
    expect(text).toMatch(row('Unités consommées', fr(book.consumed)));
    expect(text).toMatch(row('Solde final', fr(book.closing)));
    expect(text).toMatch(row('shop', 'iso-production', 'web-iso-01', 'non', '1'));
    // The window, in the tenant's time zone (Paris, winter time).
    expect(text).toMatch(
      row('web-iso-01', 'Mise à jour PostgreSQL', '18/03/2026 23:00', '–', '19/03/2026 01:30', '2 h 30 min'),
    );
    expect(text).toContain('Risques à venir');

    // The HTML page: the same labels, with its charts inline.
    const html = await t.collector.app.inject({
      method: 'GET',
      url: `/api/reports/${report.id}/html`,
      headers: { authorization: `Bearer ${t.providerKey}` },
    });
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect((html.body.match(/<svg /g) ?? []).length).toBe(3);
    expect(html.body).toContain('62,5 %');

    // Delivered to the client's receiver with the PDF attached: the very bytes the API serves.
    const delivered = await waitFor('the report at the receiver', () =>
      receiver.requests.find((r) => r.path === '/acme' && r.body.includes('"report.ready"')),
    );
    const notice = JSON.parse(delivered.body) as {
      details: { reportId: string };
      attachments: Array<{ base64: string }>;
    };
    expect(notice.details.reportId).toBe(report.id);
    expect(Buffer.from(notice.attachments[0]?.base64 ?? '', 'base64').equals(pdf.rawPayload)).toBe(true);

    // Reading the report with the provider key is in the audit log, which the client's key reads.
    const audit = await t.api<Array<{ action: string; actor: string; source: string }>>(
      'GET',
      '/api/audit',
      await t.clientKey('acme'),
    );
    const actions = audit.body.map((a) => a.action);
    expect(actions).toContain('GET /api/reports/:id');
    expect(actions).toContain('GET /api/reports/:id/pdf');
    expect(audit.body.find((a) => a.action === 'GET /api/reports/:id/pdf')).toMatchObject({
      actor: 'key:noc',
      source: '127.0.0.1',
    });
  });

  it('makes a report on demand for any period, in English on request', async () => {
    const r = await t.api<Stored>('POST', '/api/reports', t.providerKey, {
      tenant: 'acme',
      from: '2026-03-03',
      to: '2026-03-03',
      language: 'en',
    });
    expect(r.status).toBe(201);
    expect(r.body.data.period.label).toBe('2026-03-03..2026-03-03');
    expect(r.body.data.tickets.opened).toBe(1);
    expect(r.body.data.sla.compliancePercent).toBe(100);
    const html = await t.collector.app.inject({
      method: 'GET',
      url: `/api/reports/${r.body.id}/html`,
      headers: { authorization: `Bearer ${t.providerKey}` },
    });
    expect(html.body).toContain('Service levels by priority');
    expect(html.body).toContain('03/03/2026');
    const bad = await t.api('POST', '/api/reports', t.providerKey, { tenant: 'acme', month: '2026-13' });
    expect(bad.body).toMatchObject({ error: 'invalid_body', field: '/month' });
  });
});

describe('monthly reports on the first day of the month', () => {
  it('are made by the sweep once the month has begun in the tenant time zone, once', async () => {
    const receiver = await Receiver.start(() => ({ status: 200 }));
    const t = await startTestCollector({
      dialect: 'sqlite',
      start: '2026-02-10T09:00:00.000Z',
      config: {
        reports: { monthly: true },
        connectors: [{ kind: 'webhook', name: 'noc', url: receiver.url('/noc'), secret: SECRET }],
      },
    });
    try {
      await t.addTenant('globex', 'Globex');
      await t.api('POST', '/api/contracts', t.providerKey, {
        tenant: 'globex',
        type: 'forfait',
        name: 'Forfait',
        startsOn: '2026-02-01',
        endsOn: null,
        timeZone: 'Europe/Paris',
        language: 'en',
        scope: { applications: [], hosts: [] },
        counts: ['corrective'],
      });
      // 23:30 on 31 March in Paris: still March, only February's report is due.
      t.setNow('2026-03-31T21:30:00.000Z');
      await t.collector.sweep();
      await t.collector.reports.idle();
      const labels = async () =>
        (await t.api<Stored[]>('GET', '/api/reports', t.providerKey)).body.map((r) => r.label);
      await waitFor('February report', async () => ((await labels()).includes('2026-02') ? true : undefined));
      expect(await labels()).toEqual(['2026-02']);
      // 00:30 on 1 April in Paris: March's report is made, once however many sweeps follow.
      t.setNow('2026-03-31T22:30:00.000Z');
      await t.collector.sweep();
      await waitFor('March report', async () => ((await labels()).includes('2026-03') ? true : undefined));
      await t.collector.sweep();
      await t.collector.reports.idle();
      expect(await labels()).toEqual(['2026-03', '2026-02']);
      await waitFor('two deliveries', () =>
        receiver.requests.filter((r) => r.body.includes('"report.ready"')).length === 2 ? true : undefined,
      );
    } finally {
      await t.dispose();
      await receiver.close();
    }
  });
});

describe('a report without a working Chromium', () => {
  it('is stored with its figures, and its PDF is refused with a reason', async () => {
    const t = await startTestCollector({
      dialect: 'sqlite',
      start: '2026-02-10T09:00:00.000Z',
      config: { reports: { chromium: '/bin/false' } },
    });
    try {
      await t.addTenant('initech', 'Initech');
      t.setNow('2026-03-02T09:00:00.000Z');
      const made = await t.collector.reports.monthlyPass();
      expect(made.map((r) => [r.report_key, r.pdf])).toEqual([['monthly:initech:2026-02', null]]);
      const list = await t.api<Stored[]>('GET', '/api/reports', t.providerKey);
      expect(list.body.map((r) => r.pdf)).toEqual([false]);
      const pdf = await t.api('GET', `/api/reports/${list.body[0]?.id}/pdf`, t.providerKey);
      expect(pdf).toMatchObject({ status: 503, body: { error: 'pdf_unavailable' } });
    } finally {
      await t.dispose();
    }
  });
});
