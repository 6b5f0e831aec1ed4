// `vigie-collector tenant import`: an archive made by `tenant export` into this collector's store (SQLite or
// PostgreSQL, whichever the export came from) and metrics store, so that its API answers as the source's did.
// All rows go in one transaction: an archive is imported whole or not at all.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseLineProtocol } from '../sinks/line-protocol.js';
import type { MetricsSink } from '../sinks/types.js';
import type { Db } from '../store/open.js';
import { getTenant } from '../store/tenants.js';
import { type Manifest, openArchive } from './archive.js';
import { anyDb, type Row } from './tables.js';

export class ImportError extends Error {}

export interface ImportSummary {
  manifest: Manifest;
  rows: Record<string, number>;
  points: number;
}

async function* lines(path: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) if (line.trim() !== '') yield line;
}

export async function importTenant(o: { db: Db; sink: MetricsSink; file: string }): Promise<ImportSummary> {
  const dir = await mkdtemp(join(tmpdir(), 'vigie-import-'));
  try {
    const manifest = await openArchive(o.file, dir);
    const tenant = manifest.tenant.id;
    if (await getTenant(o.db, tenant))
      throw new ImportError(
        `tenant "${tenant}" already exists in this collector: import into another one, or purge it first`,
      );
    const known = new Map(
      (await o.db.introspection.getTables()).map((t) => [t.name, new Set(t.columns.map((c) => c.name))]),
    );
    const tables = manifest.parts.filter((p) => p.kind === 'table');
    for (const p of tables) {
      if (!known.has(p.table as string))
        throw new ImportError(
          `the archive has table ${p.table}, which this collector does not know (an older version?)`,
        );
    }
    const rows: Record<string, number> = {};
    await o.db.transaction().execute(async (trx) => {
      const adb = anyDb(trx);
      for (const p of tables) {
        const table = p.table as string;
        const columns = known.get(table) as Set<string>;
        let batch: Row[] = [];
        let count = 0;
        const flush = async () => {
          if (batch.length > 0) await adb.insertInto(table).values(batch).execute();
          batch = [];
        };
        for await (const line of lines(join(dir, p.path))) {
          const row = JSON.parse(line) as Row;
          const unknown = Object.keys(row).find((c) => !columns.has(c));
          if (unknown)
            throw new ImportError(
              `${p.path} line ${count + 1}: column ${unknown} is unknown to table ${table} here`,
            );
          if (
            table !== 'tenants' &&
            table !== 'ticket_events' &&
            'tenant_id' in row &&
            row.tenant_id !== tenant
          )
            throw new ImportError(
              `${p.path} line ${count + 1}: a row of tenant ${String(row.tenant_id)}, not ${tenant}`,
            );
          batch.push(row);
          count++;
          // Well under PostgreSQL's 65,535 parameters per statement.
          if (batch.length * columns.size >= 20_000) await flush();
        }
        await flush();
        rows[table] = count;
        if (count !== p.count)
          throw new ImportError(`${p.path}: ${count} rows, the manifest says ${p.count}`);
      }
    });
    let points = 0;
    const metrics = manifest.parts.find((p) => p.kind === 'metrics');
    if (metrics) {
      let chunk: string[] = [];
      const flush = async () => {
        const parsed = parseLineProtocol(chunk.join('\n'));
        if (parsed.some((pt) => pt.tags.tenant !== tenant))
          throw new ImportError(`${metrics.path}: a point of another tenant`);
        if (parsed.length > 0) await o.sink.write(parsed);
        points += parsed.length;
        chunk = [];
      };
      for await (const line of lines(join(dir, metrics.path))) {
        chunk.push(line);
        if (chunk.length >= 5000) await flush();
      }
      await flush();
    }
    return { manifest, rows, points };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
