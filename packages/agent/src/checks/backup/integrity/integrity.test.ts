import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBuiltCheck } from '../../../../../../test/support/built-check.js';
import type { CheckContext } from '../../types.js';
import { archiveKind, firstLine, verifyArchive } from './archive.js';
import integrityDefault, { backupIntegrityCheck } from './index.js';
import { BackupIntegrityOptionsSchema } from './options.js';
import { expectedChecksum, parseChecksumFile, unescapeName } from './sidecar.js';

const run = promisify(execFile);
const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const context = (signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => new Date(),
  state: new Map(),
});

let folder: string;

/** A small tree to archive: a dump and a config file, with enough bytes to span several tar blocks. */
async function sourceTree(): Promise<string> {
  const src = join(folder, 'src');
  await mkdir(join(src, 'etc'), { recursive: true });
  await writeFile(join(src, 'dump.sql'), `${'INSERT INTO t VALUES (1);\n'.repeat(2000)}`);
  await writeFile(join(src, 'etc', 'app.conf'), 'listen = 8080\n');
  return src;
}

/** A real archive made by `tar` (options such as -czf or -cf) of the source tree. */
async function tarArchive(name: string, flags: string): Promise<string> {
  const src = await sourceTree();
  const archive = join(folder, name);
  await run('tar', [flags, archive, '-C', src, '.']);
  return archive;
}

/** The `<file>.sha256` sidecar, written by the real sha256sum run from the backup folder. */
async function sidecarFor(file: string): Promise<void> {
  const name = file.slice(folder.length + 1);
  const { stdout } = await run('sha256sum', [name], { cwd: folder });
  await writeFile(`${file}.sha256`, stdout);
}

/** Flips one byte of a file in place. */
async function corruptByte(file: string, position: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, position);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    await handle.write(byte, 0, 1, position);
  } finally {
    await handle.close();
  }
}

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'vigie-backup-integrity-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('backup-integrity check', () => {
  it('verifies the checksum and lists the entries of a sound .tar.gz', async () => {
    const archive = await tarArchive('etc-0310.tar.gz', '-czf');
    await sidecarFor(archive);
    const outcome = await backupIntegrityCheck.run({ path: `${folder}/*.tar.gz` }, context());
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics).toMatchObject({ entries: 4, checksum_ok: 1, archive_ok: 1 });
    expect(outcome.metrics.size_bytes).toBeGreaterThan(0);
    expect(outcome.metrics.hash_seconds).toBeGreaterThanOrEqual(0);
    expect(outcome.message).toBe(
      `${archive}: SHA-256 matches etc-0310.tar.gz.sha256; archive lists 4 entries`,
    );
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
  });

  it('is critical for a truncated .tar.gz: wrong checksum and an archive that ends too soon', async () => {
    const archive = await tarArchive('etc.tgz', '-czf');
    await sidecarFor(archive);
    await truncate(archive, 200);
    const outcome = await backupIntegrityCheck.run({ path: archive }, context());
    expect(outcome.status).toBe('critical');
    expect(outcome.metrics).toMatchObject({ size_bytes: 200, checksum_ok: 0, archive_ok: 0 });
    expect(outcome.message).toBe(
      `${archive}: SHA-256 differs from etc.tgz.sha256; archive is damaged: gzip: ${archive}: unexpected end of file`,
    );
  });

  it('finds a truncated plain .tar without any sidecar', async () => {
    const archive = await tarArchive('etc.tar', '-cf');
    await truncate(archive, 30_000);
    const outcome = await backupIntegrityCheck.run({ path: archive, sidecar: false }, context());
    expect(outcome).toEqual({
      status: 'critical',
      metrics: { size_bytes: 30_000, archive_ok: 0 },
      message: `${archive}: archive is damaged: tar: Unexpected EOF in archive`,
    });
  });

  it('catches a flipped byte inside a file of a .tar only through the checksum', async () => {
    const archive = await tarArchive('etc.tar', '-cf');
    await sidecarFor(archive);
    // Past the first 512-byte header: inside the contents of a file, which tar -t never reads.
    await corruptByte(archive, 5000);
    const outcome = await backupIntegrityCheck.run({ path: archive }, context());
    expect(outcome.status).toBe('critical');
    expect(outcome.metrics).toMatchObject({ checksum_ok: 0, archive_ok: 1, entries: 4 });
    expect(outcome.message).toBe(`${archive}: SHA-256 differs from etc.tar.sha256`);
  });

  it('finds a flipped byte in the compressed data of a .tar.gz without the checksum', async () => {
    const archive = await tarArchive('etc.tar.gz', '-czf');
    await corruptByte(archive, 100);
    const outcome = await backupIntegrityCheck.run({ path: archive, sidecar: false }, context());
    expect(outcome.status).toBe('critical');
    expect(outcome.metrics.archive_ok).toBe(0);
    expect(outcome.message).toMatch(/: archive is damaged: gzip: /);
  });

  it('tests plain .gz files with gzip -t', async () => {
    const dump = join(folder, 'db.sql');
    await writeFile(dump, 'SELECT 1;\n'.repeat(5000));
    await run('gzip', ['-9', dump]);
    const gz = `${dump}.gz`;
    await sidecarFor(gz);
    const sound = await backupIntegrityCheck.run({ path: gz }, context());
    expect(sound).toMatchObject({ status: 'ok', metrics: { checksum_ok: 1, archive_ok: 1 } });
    expect(sound.metrics.entries).toBeUndefined();
    expect(sound.message).toBe(`${gz}: SHA-256 matches db.sql.gz.sha256; gzip data ok`);

    await truncate(gz, 40);
    const cut = await backupIntegrityCheck.run({ path: gz, sidecar: false }, context());
    expect(cut.status).toBe('critical');
    expect(cut.message).toBe(`${gz}: archive is damaged: gzip: ${gz}: unexpected end of file`);
  });

  it('is warning when the required sidecar is missing or has no line for the file', async () => {
    const archive = await tarArchive('etc.tar.gz', '-czf');
    const missing = await backupIntegrityCheck.run({ path: archive }, context());
    expect(missing.status).toBe('warning');
    expect(missing.message).toBe(`${archive}: no checksum file ${archive}.sha256`);
    expect(missing.metrics).toMatchObject({ archive_ok: 1 });
    expect(missing.metrics.checksum_ok).toBeUndefined();

    // A checksum file of two other backups: it vouches for neither of them being this one.
    await writeFile(`${archive}.sha256`, testdata('sha256sum-two-files.txt'));
    const unrelated = await backupIntegrityCheck.run({ path: archive }, context());
    expect(unrelated.status).toBe('warning');
    expect(unrelated.message).toBe(`${archive}: ${archive}.sha256 has no SHA-256 for etc.tar.gz`);

    expect((await backupIntegrityCheck.run({ path: archive, sidecar: false }, context())).status).toBe('ok');
  });

  it('picks the newest backup, never a sidecar the glob also matches', async () => {
    const old = await tarArchive('db-0309.tar', '-cf');
    await utimes(old, new Date('2026-03-09T02:00:00Z'), new Date('2026-03-09T02:00:00Z'));
    const archive = await tarArchive('db-0310.tar', '-cf');
    await sidecarFor(archive);
    const outcome = await backupIntegrityCheck.run({ path: `${folder}/db-*` }, context());
    expect(outcome.status).toBe('ok');
    expect(outcome.message.startsWith(`${archive}: `)).toBe(true);
  });

  it('only checks the checksum of files that are no archive, and can skip the listing', async () => {
    const dump = join(folder, 'db.dump');
    await writeFile(dump, 'PGDMP custom format');
    await sidecarFor(dump);
    const outcome = await backupIntegrityCheck.run({ path: dump }, context());
    expect(outcome.metrics).toEqual({
      size_bytes: 19,
      checksum_ok: 1,
      hash_seconds: expect.any(Number),
    });
    const tar = await tarArchive('etc.tar', '-cf');
    const unlisted = await backupIntegrityCheck.run({ path: tar, sidecar: false, list: false }, context());
    expect(unlisted.message).toBe(`${tar} is readable; nothing to verify (no sidecar, not an archive)`);
  });

  it('is critical when no backup matches', async () => {
    const outcome = await backupIntegrityCheck.run({ path: join(folder, 'none.tar.gz') }, context());
    expect(outcome).toEqual({
      status: 'critical',
      metrics: {},
      message: `no backup matches ${folder}/none.tar.gz`,
    });
  });

  it('is unknown when tar cannot be found', async () => {
    const archive = await tarArchive('etc.tar', '-cf');
    const path = process.env.PATH;
    process.env.PATH = join(folder, 'no-bin');
    try {
      const outcome = await backupIntegrityCheck.run({ path: archive, sidecar: false }, context());
      expect(outcome.status).toBe('unknown');
      expect(outcome.message).toBe(`${archive}: cannot verify the archive: tar: not installed`);
    } finally {
      process.env.PATH = path;
    }
  });

  it('is unknown once its timeout has fired', async () => {
    const archive = await tarArchive('etc.tar', '-cf');
    await sidecarFor(archive);
    const controller = new AbortController();
    controller.abort(new Error('timed out after 10 ms'));
    const outcome = await backupIntegrityCheck.run({ path: archive }, context(controller.signal));
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toMatch(/timed out$/);
  });

  it('stops tar when the timeout fires during the listing', async () => {
    const archive = await tarArchive('etc.tar', '-cf');
    const controller = new AbortController();
    const listing = verifyArchive('tar', archive, controller.signal);
    controller.abort(new Error('timed out after 1 ms'));
    await expect(listing).rejects.toThrow('timed out after 1 ms');
  });

  // Root reads any file whatever its mode, so the check runs as `nobody` in a child process when the
  // tests run as root (it imports the built plugin, which `npm test` builds first).
  it('is unknown when the agent may not read the backup', async () => {
    const archive = await tarArchive('etc.tar', '-cf');
    await chmod(archive, 0o000);
    await chmod(folder, 0o755);
    const outcome = await runBuiltCheck({
      module: fileURLToPath(new URL('../../../../dist/checks/backup/integrity/index.js', import.meta.url)),
      check: 'backupIntegrityCheck',
      options: { path: archive },
      asNobody: true,
    });
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: `cannot read ${archive}: EACCES: permission denied, access '${archive}'`,
    });
  });

  it('is exported by name and by default, and requires an absolute path', () => {
    expect(integrityDefault).toBe(backupIntegrityCheck);
    expect(backupIntegrityCheck.type).toBe('backup-integrity');
    expect(Value.Check(BackupIntegrityOptionsSchema, { path: '/b/*.tgz', sidecar: false, list: true })).toBe(
      true,
    );
    expect(Value.Check(BackupIntegrityOptionsSchema, { path: 'b.tgz' })).toBe(false);
    expect(Value.Check(BackupIntegrityOptionsSchema, { path: '/b.tgz', sidecar: 'yes' })).toBe(false);
  });
});

describe('sha256sum sidecars', () => {
  const DB = '9a0f032479a59f0a09c1c9bb9a3969151437d83ee5d12f1d255f7184ebaee4c4';
  const file = '/var/backups/db-2026-03-09.sql.gz';

  it('reads the text, binary and BSD formats of sha256sum', () => {
    for (const name of ['sha256sum-text.txt', 'sha256sum-binary.txt', 'sha256sum-tag.txt']) {
      expect(parseChecksumFile(testdata(name))).toEqual([{ sha256: DB, name: 'db-2026-03-09.sql.gz' }]);
    }
    expect(expectedChecksum(parseChecksumFile(testdata('sha256sum-text.txt')), file)).toBe(DB);
  });

  it('matches the entry by base name, even when the sidecar names an absolute path', () => {
    expect(expectedChecksum(parseChecksumFile(testdata('sha256sum-absolute-path.txt')), file)).toBe(DB);
    const two = parseChecksumFile(testdata('sha256sum-two-files.txt'));
    expect(two).toHaveLength(2);
    expect(expectedChecksum(two, file)).toBe(DB);
    expect(expectedChecksum(two, '/var/backups/other.tar')).toBeUndefined();
    // A single line is taken whatever its name: the sidecar was made before the file was renamed.
    expect(expectedChecksum(parseChecksumFile(testdata('sha256sum-text.txt')), '/b/renamed.gz')).toBe(DB);
  });

  it('unescapes the names sha256sum escapes', () => {
    const entries = parseChecksumFile(testdata('sha256sum-escaped-name.txt'));
    expect(entries.map((e) => e.name)).toEqual(['odd\\name\nline.tar', 'odd\\name\nline.tar']);
    expect(entries[0]?.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(unescapeName('a\\\\b\\nc\\rd\\x')).toBe('a\\b\nc\rd\\x');
  });

  it('skips what is not a SHA-256 line', () => {
    // Written by hand: a comment and an `md5sum` line (the real MD5 of an empty file), which must not count.
    expect(parseChecksumFile('# made by cron\nd41d8cd98f00b204e9800998ecf8427e  md5.txt\n\n')).toEqual([]);
  });
});

describe('archive kinds', () => {
  it('knows tar, tar.gz and gzip by name', () => {
    expect(archiveKind('/b/etc.TAR.GZ')).toBe('tar.gz');
    expect(archiveKind('/b/etc.tgz')).toBe('tar.gz');
    expect(archiveKind('/b/etc.tar')).toBe('tar');
    expect(archiveKind('/b/db.sql.gz')).toBe('gzip');
    expect(archiveKind('/b/db.dump')).toBeUndefined();
    expect(firstLine('\ngzip: stdin: unexpected end of file\ntar: Child returned status 1\n')).toBe(
      'gzip: stdin: unexpected end of file',
    );
  });
});
