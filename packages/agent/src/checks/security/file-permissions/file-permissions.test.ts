import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCheck } from '../../../../../../test/support/built-check.js';
import type { CheckContext } from '../../types.js';
import filePermissionsDefault, { filePermissionsCheck } from './index.js';
import { formatMode, judgeFile, parseMode } from './modes.js';
import { FilePermissionsOptionsSchema } from './options.js';
import { parseIdDatabase, principalsFrom } from './principals.js';

const run = promisify(execFile);
const NOBODY = 65534;
const context = (): CheckContext => ({
  signal: new AbortController().signal,
  now: () => new Date(),
  state: new Map(),
});

let folder: string;

/** A file with exactly `mode` (chmod after writing: the umask does not interfere). */
async function file(path: string, mode: number, content = 'x\n'): Promise<string> {
  await writeFile(path, content);
  await chmod(path, mode);
  return path;
}
async function dir(path: string, mode: number): Promise<string> {
  await mkdir(path, { recursive: true });
  await chmod(path, mode);
  return path;
}

/** Runs the built check in a child process (see test/support/built-check.ts). */
function runBuilt(run: { options: object; asNobody?: boolean; prefix?: string[]; shell?: string }) {
  return runBuiltCheck({
    module: fileURLToPath(
      new URL('../../../../dist/checks/security/file-permissions/index.js', import.meta.url),
    ),
    check: 'filePermissionsCheck',
    ...run,
  });
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'vigie-perms-'));
  await chmod(folder, 0o755);
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('modes', () => {
  const principals = principalsFrom(
    parseIdDatabase(
      'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n',
    ),
    parseIdDatabase('root:x:0:\nshadow:x:42:\n'),
  );
  const facts = (mode: number, uid = 0, gid = 0) => ({ mode: 0o100000 | mode, uid, gid });

  it('reads and prints octal modes', () => {
    expect(parseMode('0640')).toBe(0o640);
    expect(parseMode('4755')).toBe(0o4755);
    expect(formatMode(0o100600)).toBe('0600');
  });

  it('is critical for more permission than expected, warning for less, or another owner', () => {
    const shadow = { path: '/etc/shadow', owner: 'root', group: 'shadow', mode: '0640' };
    expect(judgeFile(shadow, facts(0o640, 0, 42), principals)).toEqual([]);
    expect(judgeFile(shadow, facts(0o644, 0, 42), principals)).toEqual([
      { status: 'critical', kind: 'mode', text: '/etc/shadow mode 0644 (expected 0640)' },
    ]);
    expect(judgeFile(shadow, facts(0o600, NOBODY, 0), principals)).toEqual([
      { status: 'warning', kind: 'mode', text: '/etc/shadow mode 0600 (expected 0640)' },
      { status: 'warning', kind: 'owner', text: '/etc/shadow owner nobody (expected root)' },
      { status: 'warning', kind: 'owner', text: '/etc/shadow group root (expected shadow)' },
    ]);
    expect(judgeFile({ path: '/usr/bin/x', maxMode: '0755' }, facts(0o4755), principals)).toEqual([
      { status: 'critical', kind: 'mode', text: '/usr/bin/x mode 4755 exceeds 0755' },
    ]);
    expect(judgeFile({ path: '/x', owner: '0', group: '0' }, facts(0o600), principals)).toEqual([]);
    expect(judgeFile({ path: '/x', owner: 'ghost' }, facts(0o600, 1234), principals)[0]?.text).toBe(
      '/x owner 1234 (expected ghost)',
    );
  });
});

describe('world-writable scan of a real tree', () => {
  let tree: string;

  beforeAll(async () => {
    tree = await dir(join(folder, 'tree'), 0o755);
    await file(join(tree, 'ok.txt'), 0o644);
    await file(join(tree, 'open.sh'), 0o666);
    await dir(join(tree, 'drop'), 0o777);
    await dir(join(tree, 'shared-tmp'), 0o1777);
    await file(join(tree, 'shared-tmp', 'inside.log'), 0o646);
    await dir(join(tree, 'deep', 'er'), 0o755);
    await file(join(tree, 'deep', 'er', 'config.ini'), 0o662);
    await dir(join(tree, 'cache'), 0o755);
    await file(join(tree, 'cache', 'blob'), 0o666);
    // Symlinks are 0777 by nature and never followed; a FIFO is not a file anyone stores data in.
    await symlink('/etc/shadow', join(tree, 'link-to-shadow'));
    await run('mkfifo', ['-m', '0666', join(tree, 'pipe')]);
  });

  it('finds world-writable files and folders, not sticky folders, symlinks or pipes', async () => {
    const outcome = await filePermissionsCheck.run({ worldWritable: { paths: [tree] } }, context());
    expect(outcome).toEqual({
      status: 'critical',
      metrics: { world_writable: 5, scanned: 13, mode_violations: 0, owner_violations: 0, missing: 0 },
      message: `5 world-writable: ${tree}/cache/blob, ${tree}/deep/er/config.ini, ${tree}/drop (+2 more)`,
    });
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
  });

  it('honours exclude and includeStickyDirs', async () => {
    const outcome = await filePermissionsCheck.run(
      {
        worldWritable: {
          paths: [`${tree}/`],
          exclude: [join(tree, 'cache'), join(tree, 'deep/')],
          includeStickyDirs: true,
        },
      },
      context(),
    );
    expect(outcome.metrics).toMatchObject({ world_writable: 4 });
    expect(outcome.message).toBe(
      `4 world-writable: ${tree}/drop, ${tree}/open.sh, ${tree}/shared-tmp (+1 more)`,
    );
  });

  it('is unknown when maxFiles stops the scan before its end', async () => {
    const outcome = await filePermissionsCheck.run(
      { worldWritable: { paths: [join(tree, 'deep')], maxFiles: 2 } },
      context(),
    );
    expect(outcome).toMatchObject({ status: 'unknown', metrics: { scanned: 2, world_writable: 0 } });
    expect(outcome.message).toBe('scan stopped after 2 entries (maxFiles)');
  });

  it('is ok for a clean tree', async () => {
    const clean = await dir(join(folder, 'clean'), 0o755);
    await file(join(clean, 'a'), 0o644);
    const outcome = await filePermissionsCheck.run({ worldWritable: { paths: [clean] } }, context());
    expect(outcome).toMatchObject({ status: 'ok', message: 'no world-writable entry in 2 scanned' });
  });

  // A real mount, made in a private mount namespace (unshare -m) so that the host is not touched: the
  // check runs there, built, in a child process.
  it('does not cross into another mounted filesystem', async () => {
    const root = await dir(join(folder, 'with-mount'), 0o755);
    const mnt = await dir(join(root, 'mnt'), 0o755);
    await file(join(root, 'here.txt'), 0o666);
    const outcome = await runBuilt({
      prefix: ['unshare', '-m', '--propagation', 'private'],
      options: { worldWritable: { paths: [root] } },
      shell: `mount -t tmpfs -o mode=0777 vigie-test ${mnt} && touch ${mnt}/there.txt && chmod 666 ${mnt}/there.txt`,
    });
    expect(outcome).toMatchObject({ status: 'critical', metrics: { world_writable: 1, scanned: 2 } });
    expect(outcome.message).toBe(`1 world-writable: ${root}/here.txt`);
  });

  it('is unknown when a folder to scan does not exist', async () => {
    const outcome = await filePermissionsCheck.run(
      { worldWritable: { paths: [join(folder, 'nope')] } },
      context(),
    );
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toMatch(/^unreadable: .*\/nope: ENOENT/);
  });
});

describe('sensitive files', () => {
  it('checks owner and mode of real files', async () => {
    const secret = await file(join(folder, 'secret.key'), 0o600);
    const config = await file(join(folder, 'app.conf'), 0o644);
    const files = [
      { path: secret, owner: 'root', group: 'root', mode: '0600' },
      { path: config, owner: 'root', maxMode: '0644' },
    ];
    const ok = await filePermissionsCheck.run({ files }, context());
    expect(ok).toEqual({
      status: 'ok',
      metrics: { world_writable: 0, mode_violations: 0, owner_violations: 0, missing: 0 },
      message: '2 sensitive file(s) as expected',
    });

    await chmod(secret, 0o640);
    await chown(config, NOBODY, NOBODY);
    const bad = await filePermissionsCheck.run({ files }, context());
    expect(bad).toEqual({
      status: 'critical',
      metrics: { world_writable: 0, mode_violations: 1, owner_violations: 1, missing: 0 },
      message: `${secret} mode 0640 (expected 0600), ${config} owner nobody (expected root)`,
    });

    await chmod(secret, 0o400);
    const stricter = await filePermissionsCheck.run({ files: [files[0] as (typeof files)[0]] }, context());
    expect(stricter).toMatchObject({ status: 'warning', message: `${secret} mode 0400 (expected 0600)` });
  });

  it('is warning for a missing file', async () => {
    const outcome = await filePermissionsCheck.run(
      { files: [{ path: join(folder, 'gone.pem'), mode: '0600' }] },
      context(),
    );
    expect(outcome).toMatchObject({
      status: 'warning',
      metrics: { missing: 1 },
      message: `${folder}/gone.pem missing`,
    });
  });

  it("is ok for this machine's /etc/shadow and /etc/passwd", async () => {
    const outcome = await filePermissionsCheck.run(
      {
        files: [
          { path: '/etc/shadow', owner: 'root', group: 'shadow', maxMode: '0640' },
          { path: '/etc/passwd', owner: 'root', group: 'root', mode: '0644' },
        ],
      },
      context(),
    );
    expect(outcome.status).toBe('ok');
  });

  // Root may stat anything: the check runs as `nobody` in a child process to meet a folder it cannot enter.
  it('is unknown when a file cannot be examined', async () => {
    const closed = await dir(join(folder, 'closed'), 0o700);
    await file(join(closed, 'inside.key'), 0o600);
    const outcome = await runBuilt({
      options: {
        files: [{ path: join(closed, 'inside.key'), mode: '0600' }],
        worldWritable: { paths: [closed] },
      },
      asNobody: true,
    });
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toBe(
      `unreadable: ${closed}: EACCES: permission denied, scandir '${closed}'; ` +
        `${closed}/inside.key: EACCES: permission denied, stat '${closed}/inside.key'`,
    );
  });
});

describe('file-permissions check', () => {
  it('is unknown with nothing to check, and exported by name and by default', async () => {
    expect(await filePermissionsCheck.run({}, context())).toEqual({
      status: 'unknown',
      metrics: {},
      message: 'nothing to check: set worldWritable and/or files',
    });
    expect(filePermissionsDefault).toBe(filePermissionsCheck);
    expect(filePermissionsCheck.type).toBe('file-permissions');
    expect(
      Value.Check(FilePermissionsOptionsSchema, { files: [{ path: '/etc/shadow', maxMode: '0640' }] }),
    ).toBe(true);
    expect(
      Value.Check(FilePermissionsOptionsSchema, { files: [{ path: '/etc/shadow', mode: '644x' }] }),
    ).toBe(false);
    expect(Value.Check(FilePermissionsOptionsSchema, { worldWritable: { paths: [] } })).toBe(false);
  });
});
