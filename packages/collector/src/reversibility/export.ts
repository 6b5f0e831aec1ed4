// `vigie-collector tenant export`: everything of one tenant into one archive (see archive.ts) that another
// collector imports, or another provider reads: its rows, table by table, its metrics, its reports as PDF.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toMarkdown } from '../drift/parity.js';
import { parityReportFor } from '../drift/service.js';
import type { ClientReportTable } from '../reports/migration.js';
import { type MetricsHistory, spooledPoints } from '../sinks/history.js';
import { toLineProtocol } from '../sinks/line-protocol.js';
import { listApplications } from '../store/agents.js';
import type { Db } from '../store/open.js';
import { getTenant } from '../store/tenants.js';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  type ArchivePart,
  describePart,
  type Manifest,
  writeArchive,
} from './archive.js';
import { NOT_EXPORTED, tenantRows, tenantTables } from './tables.js';

export interface ExportOptions {
  db: Db;
  dialect: string;
  tenant: string;
  out: string;
  /** Reads the tenant's points back; undefined when the metrics store cannot be read (their part is then empty). */
  history: MetricsHistory | undefined;
  metricsName: string;
  /** The spool of an InfluxDB sink: points still waiting there belong to the export too. */
  spoolPath?: string | undefined;
  actor: string;
  now: Date;
}

export interface ExportSummary {
  manifest: Manifest;
  warnings: string[];
}

/** Streams lines to a file, waiting when the file asks to. */
async function writeLines(
  path: string,
  produce: (write: (text: string) => Promise<void>) => Promise<void>,
): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  try {
    await produce(write);
  } finally {
    out.end();
    await once(out, 'close');
  }
}

export async function exportTenant(o: ExportOptions): Promise<ExportSummary> {
  const tenant = await getTenant(o.db, o.tenant);
  if (!tenant) throw new Error(`no tenant "${o.tenant}"`);
  const dir = await mkdtemp(join(tmpdir(), 'vigie-export-'));
  const warnings: string[] = [];
  try {
    await mkdir(join(dir, 'tables'));
    await mkdir(join(dir, 'metrics'));
    await mkdir(join(dir, 'reports'));
    const parts: ArchivePart[] = [];
    const counts: Record<string, number> = {};
    const excluded: Record<string, string> = {};
    for (const table of await tenantTables(o.db)) {
      if (NOT_EXPORTED[table.name]) {
        excluded[table.name] = NOT_EXPORTED[table.name] as string;
        continue;
      }
      const path = `tables/${table.name}.jsonl`;
      let rows = 0;
      await writeLines(join(dir, path), async (write) => {
        for await (const page of tenantRows(o.db, table, o.tenant)) {
          rows += page.length;
          await write(page.map((r) => `${JSON.stringify(r)}\n`).join(''));
          if (table.name === 'client_reports')
            await reportFiles(dir, page as unknown as ClientReportTable[], parts);
        }
      });
      counts[table.name] = rows;
      parts.push(
        await describePart(dir, {
          path,
          kind: 'table',
          table: table.name,
          count: rows,
          description: `rows of ${table.name}`,
        }),
      );
    }
    await parityFiles(o, dir, parts);
    let points = 0;
    await writeLines(join(dir, 'metrics/points.lp'), async (write) => {
      if (o.history) points += await o.history.exportTenant(o.tenant, write);
      else
        warnings.push(`the ${o.metricsName} metrics store cannot be read back: metrics/points.lp is empty`);
      if (o.spoolPath) {
        const waiting = spooledPoints(o.spoolPath, o.tenant);
        if (waiting.length > 0) await write(`${toLineProtocol(waiting)}\n`);
        points += waiting.length;
      }
    });
    counts.metricPoints = points;
    parts.push(
      await describePart(dir, {
        path: 'metrics/points.lp',
        kind: 'metrics',
        count: points,
        description: 'metric points, InfluxDB line protocol (ms)',
      }),
    );
    const manifest: Manifest = {
      format: ARCHIVE_FORMAT,
      formatVersion: ARCHIVE_VERSION,
      tenant: { id: tenant.id, name: tenant.name },
      exportedAt: o.now.toISOString(),
      exportedBy: o.actor,
      source: { store: o.dialect, metrics: o.metricsName },
      counts,
      parts,
      excluded,
    };
    await writeArchive(dir, manifest, o.out);
    return { manifest, warnings };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function reportFiles(dir: string, reports: ClientReportTable[], parts: ArchivePart[]): Promise<void> {
  for (const r of reports) {
    if (!r.pdf) continue;
    const label = r.report_key.startsWith('monthly:')
      ? (r.report_key.split(':')[2] as string)
      : r.period_from.slice(0, 10);
    const path = `reports/${label}-${r.id}.pdf`;
    await writeFile(join(dir, path), Buffer.from(r.pdf, 'base64'));
    parts.push(
      await describePart(dir, {
        path,
        kind: 'document',
        description: `client report ${label} (${r.language})`,
      }),
    );
  }
}

/** Each application's parity report as of the export, in Markdown: for the people who take over. */
async function parityFiles(o: ExportOptions, dir: string, parts: ArchivePart[]): Promise<void> {
  const apps = await listApplications(o.db, o.tenant);
  for (const application of apps) {
    const report = await parityReportFor(o.db, o.tenant, application, o.now);
    if (!report) continue;
    const path = `parity/${application.replace(/[^A-Za-z0-9._-]/g, '_')}.md`;
    await mkdir(join(dir, 'parity'), { recursive: true });
    await writeFile(join(dir, path), toMarkdown(report));
    parts.push(
      await describePart(dir, {
        path,
        kind: 'document',
        description: `iso-production parity report of ${application}`,
      }),
    );
  }
}
