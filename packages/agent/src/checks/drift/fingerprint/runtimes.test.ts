import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutables, probeEnvironment, probeVersions, type VersionProbe } from './runtimes.js';
import {
  parseApacheVersion,
  parseChromeVersion,
  parseChromiumVersion,
  parseFirefoxVersion,
  parseJavaVersion,
  parseMysqlServerVersion,
  parseNginxVersion,
  parseNodeVersion,
  parsePhpVersion,
  parsePostgresqlVersion,
  parsePythonVersion,
} from './versions.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

describe('version parsers on outputs captured on a Debian 12 host (stdout, then stderr)', () => {
  it('reads node, python, java', () => {
    expect(parseNodeVersion(testdata('version-node.txt'))).toEqual({ version: '20.20.2' });
    expect(parsePythonVersion(testdata('version-python3.txt'))).toEqual({ version: '3.11.7' });
    expect(parsePythonVersion(testdata('version-python.txt'))).toEqual({ version: '3.11.7' });
    // `java -version` writes to stderr; Debian's OpenJDK and Adoptium's Temurin word it differently.
    expect(parseJavaVersion(testdata('version-java-openjdk17.txt'))).toEqual({ version: '17.0.15' });
    expect(parseJavaVersion(testdata('version-java-temurin25.txt'))).toEqual({ version: '25.0.3' });
  });

  it('reads the PostgreSQL server and client', () => {
    expect(parsePostgresqlVersion(testdata('version-postgres.txt'))).toEqual({ version: '15.20' });
    expect(parsePostgresqlVersion(testdata('version-psql.txt'))).toEqual({ version: '15.20' });
  });

  it('names MariaDB as such, also when the binary is called mysqld', () => {
    const mariadb = { version: '10.11.19', item: 'runtime.mariadb' };
    expect(parseMysqlServerVersion(testdata('version-mariadbd.txt'))).toEqual(mariadb);
    expect(parseMysqlServerVersion(testdata('version-mysqld-mariadb.txt'))).toEqual(mariadb);
  });

  it('reads Chromium, ignoring the noise its launcher script writes to stderr', () => {
    expect(testdata('version-chromium.txt')).toContain('unexpected operator');
    expect(parseChromiumVersion(testdata('version-chromium.txt'))).toEqual({ version: '156.0.8078.108' });
  });
});

// Not installed here (and not worth installing just to capture a line): these strings follow each tool's
// documented `--version` / `-v` output, and are labelled as such.
describe('version parsers on documented outputs of tools not installed here', () => {
  it('reads PHP (`php --version`, Debian 12 build)', () => {
    const output =
      'PHP 8.2.28 (cli) (built: Mar 13 2025 18:21:38) (NTS)\nCopyright (c) The PHP Group\n' +
      'Zend Engine v4.2.28, Copyright (c) Zend Technologies\n';
    expect(parsePhpVersion(output)).toEqual({ version: '8.2.28' });
    expect(parsePhpVersion('PHP 8.1.2-1ubuntu2.20 (cli) (built: Dec  3 2024 20:14:35) (NTS)\n')).toEqual({
      version: '8.1.2',
    });
  });

  it("reads Oracle's MySQL server as mysql", () => {
    const output = '/usr/sbin/mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)\n';
    expect(parseMysqlServerVersion(output)).toEqual({ version: '8.0.36', item: 'runtime.mysql' });
  });

  it('reads nginx (`nginx -v`, on stderr) and its OpenResty build', () => {
    expect(parseNginxVersion('\nnginx version: nginx/1.22.1\n')).toEqual({ version: '1.22.1' });
    expect(parseNginxVersion('\nnginx version: openresty/1.21.4.1\n')).toEqual({ version: '1.21.4.1' });
  });

  it('reads Apache (`apache2 -v` on Debian, `httpd -v` on RHEL)', () => {
    const debian = 'Server version: Apache/2.4.62 (Debian)\nServer built:   2024-10-04T15:21:08\n';
    const rhel = 'Server version: Apache/2.4.57 (Red Hat Enterprise Linux)\nServer built:   Jul 20 2023\n';
    expect(parseApacheVersion(debian)).toEqual({ version: '2.4.62' });
    expect(parseApacheVersion(rhel)).toEqual({ version: '2.4.57' });
  });

  it('reads Firefox, keeping ESR visible, Chrome, and the Chromium snap', () => {
    expect(parseFirefoxVersion('Mozilla Firefox 128.5.0esr\n')).toEqual({ version: '128.5.0esr' });
    expect(parseFirefoxVersion('Mozilla Firefox 133.0\n')).toEqual({ version: '133.0' });
    expect(parseChromeVersion('Google Chrome 131.0.6778.85 \n')).toEqual({ version: '131.0.6778.85' });
    expect(parseChromiumVersion('Chromium 120.0.6099.71 snap\n')).toEqual({ version: '120.0.6099.71' });
  });

  it('reads Java 8 and Python 2 (both print on stderr)', () => {
    const java8 = 'openjdk version "1.8.0_412"\nOpenJDK Runtime Environment (build 1.8.0_412-b08)\n';
    expect(parseJavaVersion(`\n${java8}`)).toEqual({ version: '1.8.0_412' });
    expect(parseJavaVersion('\njava version "1.8.0_202"\n')).toEqual({ version: '1.8.0_202' });
    expect(parsePythonVersion('\nPython 2.7.18\n')).toEqual({ version: '2.7.18' });
  });

  it('answers undefined for output that is not a version', () => {
    expect(parseNodeVersion('node: bad option: --version\n')).toBeUndefined();
    expect(parsePythonVersion('pyenv: python: command not found\n')).toBeUndefined();
    expect(parseMysqlServerVersion('mysqld: Can not read the configuration\n')).toBeUndefined();
  });
});

describe('version probes run as child processes', () => {
  let folder: string;
  const signal = new AbortController().signal;
  const script = async (name: string, body: string) => {
    const path = join(folder, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  };
  const probe = (item: string, commands: string[]): VersionProbe => ({
    item,
    commands,
    args: ['--version'],
    parse: parseNodeVersion,
  });

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'vigie-probes-'));
    await script('prints-version', 'echo v1.2.3');
    await script('prints-on-stderr-and-fails', 'echo v4.5.6 >&2; exit 1');
    await script('fails', 'echo "cannot start" >&2; exit 3');
    await script('babbles', 'echo "hello"');
    await script('hangs', 'sleep 10');
    await writeFile(join(folder, 'not-executable'), '#!/bin/sh\necho v9.9.9\n');
    for (const major of ['15', '16']) {
      await mkdir(join(folder, 'versions', major, 'bin'), { recursive: true });
      await script(join('versions', major, 'bin', 'tool'), `echo v${major}.1.0`);
    }
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it('reads the version of each command present, and gives nothing for a command absent', async () => {
    const items = await probeVersions(
      [
        probe('runtime.present', [join(folder, 'prints-version')]),
        probe('runtime.absent', [join(folder, 'no-such-tool'), 'vigie-no-such-tool-anywhere']),
        probe('runtime.not-executable', [join(folder, 'not-executable')]),
        probe('runtime.stderr', [join(folder, 'prints-on-stderr-and-fails')]),
      ],
      { timeoutMs: 5000, signal },
    );
    expect(items).toEqual([
      ['runtime.present', '1.2.3'],
      ['runtime.stderr', '4.5.6'],
    ]);
  });

  it('reports a command that exists but does not answer with a version', async () => {
    const items = await probeVersions(
      [
        probe('runtime.fails', [join(folder, 'fails')]),
        probe('runtime.babbles', [join(folder, 'babbles')]),
        probe('runtime.hangs', [join(folder, 'hangs')]),
      ],
      { timeoutMs: 300, signal },
    );
    expect(items).toEqual([
      ['runtime.fails.error', 'exit 3'],
      ['runtime.babbles.error', 'unrecognised output'],
      ['runtime.hangs.error', 'timeout'],
    ]);
  });

  it('asks every match of a pattern, and stops at the first command found', async () => {
    const items = await probeVersions(
      [probe('runtime.tool', [join(folder, 'versions/*/bin/tool'), join(folder, 'prints-version')])],
      { timeoutMs: 5000, signal },
    );
    expect(items).toEqual([['runtime.tool', '15.1.0, 16.1.0']]);
  });

  it('finds commands in PATH and in the sbin folders, never in a relative PATH entry', async () => {
    await symlink(join(folder, 'prints-version'), join(folder, 'vigie-linked-tool'));
    expect(await findExecutables(['vigie-linked-tool'], `relative/dir:${folder}`)).toEqual([
      join(folder, 'vigie-linked-tool'),
    ]);
    expect(await findExecutables(['prints-version'], 'relative/dir')).toEqual([]);
    // `sh` is in /bin or /usr/bin on any Linux, even with an empty PATH (a service's bare environment).
    expect((await findExecutables(['sh'], '')).length).toBe(1);
  });

  it("keeps the agent's own and secret-looking variables out of a probe's environment", async () => {
    const env = probeEnvironment({
      PATH: '/usr/bin',
      HOME: '/var/lib/vigie-agent',
      VIGIE_AGENT_TOKEN: 'vga_x',
      DB_PASSWORD: 'pw',
      LANG: 'fr_FR.UTF-8',
    });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/var/lib/vigie-agent', LANG: 'fr_FR.UTF-8', LC_ALL: 'C' });
    process.env.VIGIE_PROBE_TEST_TOKEN = 'must-not-reach-the-probe';
    try {
      const shows = await script('shows-env', 'echo "v1.0.0-$VIGIE_PROBE_TEST_TOKEN-$LC_ALL"');
      const items = await probeVersions([probe('runtime.env', [shows])], { timeoutMs: 5000, signal });
      expect(items).toEqual([['runtime.env', '1.0.0--C']]);
    } finally {
      delete process.env.VIGIE_PROBE_TEST_TOKEN;
    }
  });

  it('stops with the check: an abort is thrown, not reported as an item', async () => {
    const controller = new AbortController();
    const pending = probeVersions([probe('runtime.hangs', [join(folder, 'hangs')])], {
      timeoutMs: 5000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow(/abort/i);
  });
});
