// Client reports end to end: compute the figures, draw the HTML, print the PDF, store them, deliver them through
// the connectors. The monthly pass (run from the collector's periodic sweep, its clock injected) makes each
// tenant's report of the previous month on the first day of a month in the tenant's time zone, once.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Language } from '../contracts/model.js';
import type { NoticeSender } from '../contracts/notices.js';
import { listContracts } from '../contracts/store.js';
import type { MetricsHistory } from '../sinks/history.js';
import type { Db } from '../store/open.js';
import { getTenant, listTenants } from '../store/tenants.js';
import type { ContractBook } from '../tickets/contracts.js';
import { computeReport, type ReportData, type RiskProvider } from './compute.js';
import { renderReportHtml } from './html.js';
import { labels, ReportFormat } from './i18n.js';
import { type ClientReportTable, reportDb } from './migration.js';
import { findChromium, renderPdf } from './pdf.js';
import { monthOf, monthPeriod, type Period, previousMonth } from './period.js';

/** How long a failed monthly report waits before the next try. */
const RETRY_MS = 10 * 60_000;

export interface ReportServiceDeps {
  db: Db;
  now: () => Date;
  newId: () => string;
  history: MetricsHistory | undefined;
  contracts: ContractBook;
  risks: RiskProvider;
  notices: NoticeSender;
  /** Chromium for PDFs; default: found where distributions install it. */
  chromium?: string | undefined;
  log: Logger;
}

export interface GenerateRequest {
  tenant: string;
  period: Period;
  kind: 'monthly' | 'custom';
  language: Language;
  actor: string;
}

export class ReportService {
  private readonly chromium: string | undefined;
  private monthly: Promise<ClientReportTable[]> | undefined;
  /** Monthly reports that failed, and when to try again: not at every sweep (15 s), which would only churn. */
  private readonly retryAt = new Map<string, number>();

  constructor(private readonly deps: ReportServiceDeps) {
    this.chromium = findChromium(deps.chromium);
  }

  /** The tenant's time zone and language: its latest contract's, else its SLA calendar's zone, in English. */
  async settingsOf(tenant: string): Promise<{ timeZone: string; language: Language }> {
    const contracts = await listContracts(this.deps.db, tenant);
    const latest = contracts[contracts.length - 1];
    if (latest) return { timeZone: latest.definition.timeZone, language: latest.definition.language };
    const row = await getTenant(this.deps.db, tenant);
    const sla = row?.contract
      ? (JSON.parse(row.contract) as { calendar?: { timeZone?: string } })
      : undefined;
    return { timeZone: sla?.calendar?.timeZone ?? 'UTC', language: 'en' };
  }

  async compute(tenant: string, period: Period, language: Language): Promise<ReportData> {
    return computeReport({
      db: this.deps.db,
      history: this.deps.history,
      tenant,
      period,
      language,
      now: this.deps.now(),
      contracts: this.deps.contracts,
      risks: this.deps.risks,
    });
  }

  /** Computes, renders and stores a report, and delivers it when it is new; returns the stored row. */
  async generate(req: GenerateRequest): Promise<{ report: ClientReportTable; created: boolean }> {
    const key =
      req.kind === 'monthly' ? `monthly:${req.tenant}:${req.period.label}` : `custom:${this.deps.newId()}`;
    const rdb = reportDb(this.deps.db);
    const existing = await rdb
      .selectFrom('client_reports')
      .selectAll()
      .where('report_key', '=', key)
      .executeTakeFirst();
    if (existing) return { report: existing, created: false };
    const data = await this.compute(req.tenant, req.period, req.language);
    const pdf = await this.pdfOf(data);
    const row: ClientReportTable = {
      id: this.deps.newId(),
      tenant_id: req.tenant,
      kind: req.kind,
      period_from: data.period.from,
      period_to: data.period.to,
      language: req.language,
      time_zone: req.period.timeZone,
      generated_at: data.generatedAt,
      generated_by: req.actor,
      data: JSON.stringify(data),
      pdf: pdf?.toString('base64') ?? null,
      pdf_sha256: pdf ? createHash('sha256').update(pdf).digest('hex') : null,
      report_key: key,
    };
    const r = await rdb
      .insertInto('client_reports')
      .values(row)
      .onConflict((oc) => oc.column('report_key').doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) {
      // Another pass (or collector) stored it first: theirs stands, and they deliver it.
      const theirs = await rdb
        .selectFrom('client_reports')
        .selectAll()
        .where('report_key', '=', key)
        .executeTakeFirstOrThrow();
      return { report: theirs, created: false };
    }
    await this.deliver(row, data);
    return { report: row, created: true };
  }

  /** The PDF of report data; undefined (and logged) when no Chromium is available or it fails. */
  async pdfOf(data: ReportData): Promise<Buffer | undefined> {
    if (!this.chromium) {
      this.deps.log.warn(
        { tenant: data.tenant.id },
        'no Chromium found: the report is stored without its PDF',
      );
      return undefined;
    }
    try {
      return await renderPdf(renderReportHtml(data), this.chromium);
    } catch (err) {
      // The figures matter more than their printing: the report is kept without its PDF.
      this.deps.log.error(
        { err: (err as Error).message, tenant: data.tenant.id, chromium: this.chromium },
        'PDF not printed',
      );
      return undefined;
    }
  }

  private async deliver(row: ClientReportTable, data: ReportData): Promise<void> {
    const L = labels(data.language);
    const f = new ReportFormat(data.language, data.period.timeZone);
    const file = `vigie-${row.tenant_id}-${data.period.label.replace(/\.\./g, '_')}.pdf`;
    await this.deps.notices.send(this.deps.db, {
      kind: 'report.ready',
      tenant: row.tenant_id,
      subject: `${L.title} — ${data.tenant.name} — ${data.period.label}`,
      text: [
        `${L.slaCompliance}: ${f.percent(data.sla.compliancePercent)}`,
        `${L.tickets}: ${f.number(data.tickets.opened)} ${L.opened.toLowerCase()}, ${f.number(data.tickets.resolved)} ${L.resolved.toLowerCase()}`,
        `${L.availability} (${L.overall.toLowerCase()}): ${f.percent(data.availability.percent)}`,
      ].join('\n'),
      details: {
        reportId: row.id,
        period: data.period,
        language: data.language,
        pdfSha256: row.pdf_sha256,
        figures: {
          slaCompliancePercent: data.sla.compliancePercent,
          ticketsOpened: data.tickets.opened,
          ticketsResolved: data.tickets.resolved,
          availabilityPercent: data.availability.percent,
        },
      },
      ...(row.pdf
        ? { attachments: [{ filename: file, contentType: 'application/pdf', base64: row.pdf }] }
        : {}),
    });
  }

  /**
   * Makes the previous month's report of every tenant whose current local month began (the first day of the
   * month, or later if the collector was down then), once. One pass at a time.
   */
  monthlyPass(): Promise<ClientReportTable[]> {
    const run = (this.monthly ?? Promise.resolve([])).catch(() => []).then(() => this.monthlyOnce());
    this.monthly = run;
    return run;
  }

  /** Resolves once the monthly pass under way, if any, is over (for a clean shutdown). */
  async idle(): Promise<void> {
    await this.monthly?.catch(() => undefined);
  }

  private async monthlyOnce(): Promise<ClientReportTable[]> {
    const made: ClientReportTable[] = [];
    const now = this.deps.now();
    for (const tenant of await listTenants(this.deps.db)) {
      const { timeZone, language } = await this.settingsOf(tenant.id);
      const period = monthPeriod(previousMonth(monthOf(now, timeZone)), timeZone);
      // A tenant added after that month has nothing to report for it.
      if (tenant.created_at >= period.to.toISOString()) continue;
      const key = `${tenant.id}:${period.label}`;
      if ((this.retryAt.get(key) ?? 0) > now.getTime()) continue;
      try {
        const { report, created } = await this.generate({
          tenant: tenant.id,
          period,
          kind: 'monthly',
          language,
          actor: 'vigie',
        });
        this.retryAt.delete(key);
        if (created) made.push(report);
      } catch (err) {
        this.retryAt.set(key, now.getTime() + RETRY_MS);
        this.deps.log.error(
          { err: (err as Error).message, tenant: tenant.id, period: period.label, retryInMs: RETRY_MS },
          'monthly report failed',
        );
      }
    }
    return made;
  }
}
