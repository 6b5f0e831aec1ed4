// The `backup-integrity` check: does the newest backup still match its `.sha256` sidecar, and can its
// archive be read through to the end?
import { open, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Metrics, type Status, worstStatus } from '@vigie/shared';
import { describeError, hasErrorCode, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import {
  type BackupFile,
  listBackups,
  listingFailedOutcome,
  noBackupOutcome,
  readProblem,
  sha256File,
} from '../files.js';
import { type ArchiveKind, archiveKind, verifyArchive } from './archive.js';
import { BACKUP_INTEGRITY_DEFAULTS, BackupIntegrityOptionsSchema } from './options.js';
import { expectedChecksum, parseChecksumFile } from './sidecar.js';

export const SIDECAR_SUFFIX = '.sha256';
/** A sidecar holds a line per file; anything bigger is not one. */
const SIDECAR_MAX_BYTES = 1024 * 1024;

/** The verdict of one verification (checksum or archive), merged into the outcome. */
interface Finding {
  status: Status;
  message: string;
}

export const backupIntegrityCheck = defineCheck({
  type: 'backup-integrity',
  category: 'backup',
  summary: 'SHA-256 of the newest backup against its .sha256 sidecar, and a read-through of its archive',
  options: BackupIntegrityOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    let files: BackupFile[];
    try {
      files = await listBackups(options.path, ctx.signal);
    } catch (err) {
      return listingFailedOutcome(options.path, err, ctx.signal);
    }
    // A glob such as `/b/db-*` also matches the sidecars themselves: they are never the backup.
    const newest = files.find((file) => !file.path.endsWith(SIDECAR_SUFFIX));
    if (newest === undefined) return noBackupOutcome(options.path, {});

    const problem = await readProblem(newest.path);
    if (problem !== undefined) return unknownOutcome(`cannot read ${newest.path}: ${problem}`);

    const metrics: Metrics = { size_bytes: newest.sizeBytes };
    const findings: Finding[] = [];
    try {
      if (options.sidecar ?? BACKUP_INTEGRITY_DEFAULTS.sidecar) {
        findings.push(await verifyChecksum(newest.path, metrics, ctx.signal));
      }
      const kind = archiveKind(newest.path);
      if ((options.list ?? BACKUP_INTEGRITY_DEFAULTS.list) && kind !== undefined) {
        findings.push(await verifyArchiveFinding(kind, newest.path, metrics, ctx.signal));
      }
    } catch (err) {
      if (ctx.signal.aborted) return unknownOutcome(`verifying ${newest.path} timed out`);
      return unknownOutcome(`cannot read ${newest.path}: ${describeError(err)}`);
    }
    return summarise(newest.path, metrics, findings);
  },
});

export default backupIntegrityCheck;

/** Reads the archive through; tool missing is unknown, a damaged archive critical. */
async function verifyArchiveFinding(
  kind: ArchiveKind,
  path: string,
  metrics: Metrics,
  signal: AbortSignal,
): Promise<Finding> {
  const verdict = await verifyArchive(kind, path, signal);
  if (verdict.state === 'no-tool')
    return { status: 'unknown', message: `cannot verify the archive: ${verdict.reason}` };
  if (verdict.state === 'broken') {
    metrics.archive_ok = 0;
    return { status: 'critical', message: `archive is damaged: ${verdict.reason}` };
  }
  metrics.archive_ok = 1;
  if (verdict.entries === undefined) return { status: 'ok', message: 'gzip data ok' };
  metrics.entries = verdict.entries;
  return { status: 'ok', message: `archive lists ${verdict.entries} entries` };
}

/** Compares the file's SHA-256 with its sidecar; read errors of the backup file itself are thrown. */
async function verifyChecksum(path: string, metrics: Metrics, signal: AbortSignal): Promise<Finding> {
  const sidecar = `${path}${SIDECAR_SUFFIX}`;
  let text: string;
  try {
    const handle = await open(sidecar, 'r');
    try {
      const { size } = await handle.stat();
      if (size > SIDECAR_MAX_BYTES)
        return { status: 'warning', message: `${sidecar} is too big to be a checksum` };
      text = await readFile(handle, { encoding: 'utf8', signal });
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return { status: 'warning', message: `no checksum file ${sidecar}` };
    if (signal.aborted) throw err;
    return { status: 'unknown', message: `cannot read ${sidecar}: ${describeError(err)}` };
  }
  const expected = expectedChecksum(parseChecksumFile(text), path);
  if (expected === undefined) {
    return { status: 'warning', message: `${sidecar} has no SHA-256 for ${basename(path)}` };
  }
  const started = performance.now();
  const actual = await sha256File(path, signal);
  metrics.hash_seconds = Math.round(performance.now() - started) / 1000;
  if (actual !== expected) {
    metrics.checksum_ok = 0;
    return { status: 'critical', message: `SHA-256 differs from ${basename(sidecar)}` };
  }
  metrics.checksum_ok = 1;
  return { status: 'ok', message: `SHA-256 matches ${basename(sidecar)}` };
}

/** The worst finding decides; the message lists what is not ok, or everything that was verified. */
function summarise(path: string, metrics: Metrics, findings: readonly Finding[]): CheckOutcome {
  if (findings.length === 0) {
    return {
      status: 'ok',
      metrics,
      message: `${path} is readable; nothing to verify (no sidecar, not an archive)`,
    };
  }
  const status = findings.map((f) => f.status).reduce(worstStatus);
  const shown = status === 'ok' ? findings : findings.filter((f) => f.status !== 'ok');
  return { status, metrics, message: `${path}: ${shown.map((f) => f.message).join('; ')}` };
}
