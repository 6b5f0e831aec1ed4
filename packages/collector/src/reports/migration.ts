// The client report table (part of migration 0008_tma_contract): each generated report with its figures
// (the JSON the API serves and the HTML and PDF are drawn from) and its PDF.
import type { Kysely, Migration } from 'kysely';
import type { Db } from '../store/open.js';
import type { Database } from '../store/schema.js';

export interface ClientReportTable {
  id: string;
  tenant_id: string;
  /** monthly (generated on the first day of a month) | custom (asked for by API) */
  kind: string;
  /** Start and end of the period, ISO instants; the end is excluded. */
  period_from: string;
  period_to: string;
  language: string;
  time_zone: string;
  generated_at: string;
  generated_by: string;
  /** The ReportData as JSON: the one source of every figure. */
  data: string;
  /** The PDF, base64; null when no Chromium was available to render it. */
  pdf: string | null;
  pdf_sha256: string | null;
  /** Unique: `monthly:<tenant>:<YYYY-MM>`, so two passes or two collectors store one monthly report. */
  report_key: string;
}

export type ReportTables = { client_reports: ClientReportTable };
export type ReportDb = Kysely<Database & ReportTables>;

export function reportDb(db: Db): ReportDb {
  return db.withTables<ReportTables>();
}

export const reportsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('client_reports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('period_from', 'text', (c) => c.notNull())
      .addColumn('period_to', 'text', (c) => c.notNull())
      .addColumn('language', 'text', (c) => c.notNull())
      .addColumn('time_zone', 'text', (c) => c.notNull())
      .addColumn('generated_at', 'text', (c) => c.notNull())
      .addColumn('generated_by', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('pdf', 'text')
      .addColumn('pdf_sha256', 'text')
      .addColumn('report_key', 'text', (c) => c.notNull().unique())
      .execute();
    await db.schema
      .createIndex('client_reports_tenant')
      .on('client_reports')
      .columns(['tenant_id', 'period_from'])
      .execute();
  },
};
