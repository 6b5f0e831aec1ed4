// The tenant archive: one .tar.gz that describes itself. `manifest.json` gives the format and its version, the
// tenant, where and when it was exported, and every part with its kind, row or point count, size and SHA-256;
// `README.txt` says the same in words. Parts are JSON Lines (one row a line) per table, the metrics as InfluxDB
// line protocol, and the client reports as PDF files.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import * as tar from 'tar';

export const ARCHIVE_FORMAT = 'vigie-tenant-export';
export const ARCHIVE_VERSION = 1;

export interface ArchivePart {
  path: string;
  kind: 'table' | 'metrics' | 'document';
  /** For a table part. */
  table?: string;
  /** Rows (table), points (metrics). */
  count?: number;
  bytes: number;
  sha256: string;
  description: string;
}

export interface Manifest {
  format: typeof ARCHIVE_FORMAT;
  formatVersion: number;
  tenant: { id: string; name: string };
  exportedAt: string;
  exportedBy: string;
  source: { store: string; metrics: string };
  counts: Record<string, number>;
  parts: ArchivePart[];
  /** Tables of the tenant deliberately left out, and why (credentials, the collector's own machinery). */
  excluded: Record<string, string>;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Describes a file written under `dir` as a part of the archive. */
export async function describePart(
  dir: string,
  part: Omit<ArchivePart, 'bytes' | 'sha256'>,
): Promise<ArchivePart> {
  const file = join(dir, part.path);
  return { ...part, bytes: (await stat(file)).size, sha256: await sha256File(file) };
}

export async function writeArchive(dir: string, manifest: Manifest, out: string): Promise<void> {
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(dir, 'README.txt'), readme(manifest));
  await mkdir(dirname(out), { recursive: true });
  await tar.create({ gzip: true, file: out, cwd: dir, portable: true }, [
    'manifest.json',
    'README.txt',
    ...manifest.parts.map((p) => p.path),
  ]);
}

export class ArchiveError extends Error {}

/**
 * Unpacks an archive into `dir` and checks it against its manifest: the format, and each part's size and
 * SHA-256. Throws an ArchiveError naming the first problem; returns the manifest.
 */
export async function openArchive(file: string, dir: string): Promise<Manifest> {
  try {
    await tar.extract({
      file,
      cwd: dir,
      strict: true,
      // Only plain files at plain relative paths: an archive cannot write outside its folder.
      filter: (path, entry) => {
        const clean = normalize(path);
        return (
          !clean.startsWith('..') &&
          !clean.startsWith('/') &&
          'type' in entry &&
          (entry.type === 'File' || entry.type === 'Directory')
        );
      },
    });
  } catch (err) {
    throw new ArchiveError(`${file} is not a readable .tar.gz: ${(err as Error).message}`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch (err) {
    throw new ArchiveError(`${file} has no readable manifest.json: ${(err as Error).message}`);
  }
  if (manifest.format !== ARCHIVE_FORMAT)
    throw new ArchiveError(`${file} is not a Vigie tenant export (format ${String(manifest.format)})`);
  if (manifest.formatVersion !== ARCHIVE_VERSION)
    throw new ArchiveError(
      `${file} is format version ${manifest.formatVersion}; this collector reads version ${ARCHIVE_VERSION}`,
    );
  for (const part of manifest.parts) {
    const path = join(dir, part.path);
    const size = await stat(path).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) throw new ArchiveError(`part ${part.path} is listed in the manifest but missing`);
    if (size !== part.bytes)
      throw new ArchiveError(`part ${part.path} is ${size} bytes, the manifest says ${part.bytes}`);
    const sum = await sha256File(path);
    if (sum !== part.sha256)
      throw new ArchiveError(`part ${part.path} has SHA-256 ${sum}, the manifest says ${part.sha256}`);
  }
  return manifest;
}

function readme(m: Manifest): string {
  const lines = [
    `Vigie tenant export: ${m.tenant.name} (${m.tenant.id})`,
    `Exported ${m.exportedAt} by ${m.exportedBy}, from a ${m.source.store} store with ${m.source.metrics} metrics.`,
    '',
    `Format ${m.format}, version ${m.formatVersion}. manifest.json lists every part with its size and SHA-256`,
    '(check one with: sha256sum <part>). Table parts are JSON Lines, one row a line, columns as in the',
    'Vigie state store (times are ISO-8601 UTC). metrics/points.lp is InfluxDB line protocol, timestamps in',
    "milliseconds (curl --data-binary @metrics/points.lp 'http://influx:8086/write?db=NAME&precision=ms').",
    "reports/ holds each client report as a PDF, parity/ each application's parity report (Markdown).",
    '`vigie-collector tenant import` reads it all back into another Vigie collector.',
    '',
    'Parts:',
    ...m.parts.map((p) => `  ${p.path}  ${p.description}${p.count === undefined ? '' : ` (${p.count})`}`),
    '',
    'Not included, on purpose:',
    ...Object.entries(m.excluded).map(([t, why]) => `  ${t}: ${why}`),
    '',
  ];
  return lines.join('\n');
}
