// The `file-permissions` check: world-writable files under some folders, and owner/mode of sensitive files.
import { stat } from 'node:fs/promises';
import { type Metrics, type Status, statusSeverity, worstStatus } from '@vigie/shared';
import { describeError, hasErrorCode, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { type Finding, judgeFile, type Principals } from './modes.js';
import { FilePermissionsOptionsSchema, type SensitiveFile } from './options.js';
import { readPrincipals } from './principals.js';
import { scanWorldWritable } from './walk.js';

const SHOWN = 3;

export const filePermissionsCheck = defineCheck({
  type: 'file-permissions',
  category: 'security',
  summary: 'World-writable files under given folders, and owner and mode of sensitive files',
  options: FilePermissionsOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    if (options.worldWritable === undefined && (options.files ?? []).length === 0) {
      return unknownOutcome('nothing to check: set worldWritable and/or files');
    }
    const metrics: Metrics = { world_writable: 0, mode_violations: 0, owner_violations: 0, missing: 0 };
    let status: Status = 'ok';
    const parts: string[] = [];

    if (options.worldWritable !== undefined) {
      let scan: Awaited<ReturnType<typeof scanWorldWritable>>;
      try {
        scan = await scanWorldWritable(options.worldWritable, ctx.signal);
      } catch (err) {
        return unknownOutcome(`world-writable scan stopped: ${describeError(err)}`);
      }
      metrics.world_writable = scan.found.length;
      metrics.scanned = scan.scanned;
      if (scan.found.length > 0) {
        status = 'critical';
        parts.push(`${scan.found.length} world-writable: ${sample(scan.found)}`);
      }
      if (scan.unreadable.length > 0) {
        status = worstStatus(status, 'unknown');
        parts.push(`unreadable: ${sample(scan.unreadable)}`);
      }
      if (scan.truncated) {
        status = worstStatus(status, 'unknown');
        parts.push(`scan stopped after ${scan.scanned} entries (maxFiles)`);
      }
    }

    const files = options.files ?? [];
    if (files.length > 0) {
      let principals: Principals;
      try {
        principals = await readPrincipals(ctx.signal);
      } catch (err) {
        return unknownOutcome(`cannot read the user and group databases: ${describeError(err)}`);
      }
      const findings = (await Promise.all(files.map((file) => inspect(file, principals)))).flat();
      for (const finding of findings) {
        status = worstStatus(status, finding.status);
        if (finding.kind === 'mode') metrics.mode_violations = (metrics.mode_violations ?? 0) + 1;
        if (finding.kind === 'owner') metrics.owner_violations = (metrics.owner_violations ?? 0) + 1;
        if (finding.kind === 'missing') metrics.missing = (metrics.missing ?? 0) + 1;
      }
      // Most serious first: the message shows what decided the status.
      const ordered = [...findings].sort((a, b) => statusSeverity(b.status) - statusSeverity(a.status));
      if (ordered.length > 0) parts.push(sample(ordered.map((f) => f.text)));
    }

    if (parts.length === 0) {
      const what = [
        options.worldWritable ? `no world-writable entry in ${metrics.scanned} scanned` : '',
        files.length > 0 ? `${files.length} sensitive file(s) as expected` : '',
      ];
      return { status, metrics, message: what.filter((w) => w !== '').join(', ') };
    }
    return { status, metrics, message: parts.join('; ') };
  },
});

export default filePermissionsCheck;

type Inspection = Finding | { status: Status; kind: 'missing' | 'unreadable'; text: string };

async function inspect(file: SensitiveFile, principals: Principals): Promise<Inspection[]> {
  try {
    const stats = await stat(file.path);
    return judgeFile(file, { mode: stats.mode, uid: stats.uid, gid: stats.gid }, principals);
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT'))
      return [{ status: 'warning', kind: 'missing', text: `${file.path} missing` }];
    return [{ status: 'unknown', kind: 'unreadable', text: `${file.path}: ${describeError(err)}` }];
  }
}

function sample(items: readonly string[]): string {
  const shown = items.slice(0, SHOWN).join(', ');
  return items.length > SHOWN ? `${shown} (+${items.length - SHOWN} more)` : shown;
}
