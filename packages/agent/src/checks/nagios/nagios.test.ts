import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, statfs, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBinary } from '../../../../../test/support/packages.js';
import type { CheckContext, CheckPlugin } from '../types.js';
import nagiosDefault, { nagiosCheck, runNagiosCheck } from './index.js';
import { MAX_PERFDATA_METRICS, metricBase, perfdataMetrics } from './metrics.js';
import { NagiosOptionsSchema, resolveNagiosOptions } from './options.js';
import { outcomeFromRun, splitPluginOutput } from './output.js';
import { parsePerfdata, rangeBound } from './perfdata.js';

const PLUGINS = '/usr/lib/nagios/plugins';
const PACKAGE = 'monitoring-plugins-basic';
const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_.]*(@.+)?$/;

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

/** Real outputs captured by testdata/capture.sh: file name, exit code, command line. */
const captures = testdata('captures.tsv')
  .trim()
  .split('\n')
  .map((line) => {
    const [name = '', code = '', command = ''] = line.split('\t');
    return { name, code: Number(code), command, stdout: testdata(`${name}.out`) };
  });
const capture = (name: string) => {
  const found = captures.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no capture ${name}`);
  return found;
};
/** Reads a captured run as the check would have read it live. */
const readCapture = (name: string) => {
  const { code, stdout } = capture(name);
  return outcomeFromRun({ kind: 'exited', code, stdout, stderr: '', truncated: false }, 'x', 'performance');
};

const context = (signal = new AbortController().signal): CheckContext => ({
  signal,
  now: () => new Date(),
  state: new Map(),
});
/** A killed process that nobody reaped (the sandbox's init does not) is a zombie: it no longer runs. */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

const runPlugin = (command: string, args: string[] = [], signal?: AbortSignal) =>
  runNagiosCheck({ command, args }, context(signal));

describe('reading the real outputs of monitoring-plugins-basic', () => {
  it.each(captures)(
    '$name: status from its exit code, valid metrics, no perfdata error',
    ({ name, code }) => {
      const outcome = readCapture(name);
      expect(outcome.status).toBe(['ok', 'warning', 'critical', 'unknown'][code]);
      expect(outcome.metrics.exit_code).toBe(code);
      expect(outcome.metrics.perfdata_errors).toBe(0);
      expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
      expect(outcome.message).not.toContain('|');
      expect(outcome.message.length).toBeGreaterThan(0);
    },
  );

  it('check_disk: one `value@<mount point>` set per mount, in bytes, quoted labels with a space included', () => {
    const outcome = readCapture('check_disk-three-mounts');
    expect(outcome.message).toMatch(/^DISK OK - free space: \/ 80805MiB \(77% inode=97%\);/);
    expect(outcome.metrics).toEqual({
      'value@/': 24212668416,
      'value.warn@/': 216442024755,
      'value.crit@/': 243497277849,
      'value.min@/': 0,
      'value.max@/': 270552530944,
      'value@/dev/shm': 1048576,
      'value.warn@/dev/shm': 20220739584,
      'value.crit@/dev/shm': 22748332032,
      'value.min@/dev/shm': 0,
      'value.max@/dev/shm': 25275924480,
      'value@/tmp/vigie-nagios-capture/with space': 0,
      'value.warn@/tmp/vigie-nagios-capture/with space': 6710886,
      'value.crit@/tmp/vigie-nagios-capture/with space': 7549747,
      'value.min@/tmp/vigie-nagios-capture/with space': 0,
      'value.max@/tmp/vigie-nagios-capture/with space': 8388608,
      exit_code: 0,
      perfdata_errors: 0,
    });
    expect(readCapture('check_disk-critical').status).toBe('critical');
    expect(readCapture('check_disk-not-mounted').message).toBe(
      'DISK CRITICAL - /vigie-not-mounted-anywhere is not accessible: No such file or directory',
    );
  });

  it('check_load: plain labels, thresholds, min without max, trailing semicolons and space', () => {
    const { metrics } = readCapture('check_load');
    expect(metrics).toMatchObject({ load1: 0.47, 'load1.warn': 100, 'load1.crit': 200, 'load1.min': 0 });
    expect(metrics['load1.max']).toBeUndefined();
    expect(readCapture('check_load-per-cpu').metrics).toMatchObject({ scaled_load15: 0.225, load15: 0.45 });
    const badArgs = readCapture('check_load-bad-args');
    expect(badArgs).toMatchObject({ status: 'unknown', message: 'check_load: Could not parse arguments' });
  });

  it('converts ms and us to seconds, keeps percentages, reads B as bytes', () => {
    expect(readCapture('check_ping').metrics).toMatchObject({
      rta: 0.000037,
      'rta.warn': 0.1,
      'rta.crit': 0.2,
      'rta.min': 0,
      pl: 0,
      'pl.warn': 20,
      'pl.crit': 50,
    });
    expect(readCapture('check_icmp').metrics).toMatchObject({
      rta: 0.000011,
      rtmax: 0.000022,
      rtmin: 0.000008,
    });
    expect(readCapture('check_http').metrics).toMatchObject({
      time_2: 0.002578,
      'time_2.min': 0,
      'time_2.max': 10,
      size: 190,
      'size.min': 0,
    });
    expect(readCapture('check_file_age-old')).toMatchObject({
      status: 'critical',
      message: 'FILE_AGE CRITICAL: /tmp/vigie-nagios-capture/old-file is 7201 seconds old and 0 bytes',
      metrics: { age: 7201, 'age.warn': 60, 'age.crit': 3600, size: 0 },
    });
  });

  it('check_procs, check_swap, check_users and check_dummy', () => {
    expect(readCapture('check_procs-rss').metrics).toMatchObject({ procs: 94, procs_warn: 2, procs_crit: 0 });
    expect(readCapture('check_swap-no-swap')).toMatchObject({
      status: 'critical',
      metrics: { swap: 0, 'swap.warn': 0, 'swap.crit': 0, 'swap.min': 0, 'swap.max': 0 },
    });
    expect(readCapture('check_users').metrics).toMatchObject({ users: 0, 'users.warn': 5, 'users.crit': 10 });
    expect(readCapture('check_dummy-1')).toEqual({
      status: 'warning',
      message: 'WARNING: look at me',
      metrics: { exit_code: 1, perfdata_errors: 0 },
      category: 'performance',
    });
  });

  it('check_tcp and check_http against a closed port: the first line only, no perfdata', () => {
    expect(readCapture('check_tcp-closed')).toMatchObject({
      status: 'critical',
      message: 'connect to address 127.0.0.1 and port 1: Connection refused',
      metrics: { exit_code: 2, perfdata_errors: 0 },
    });
    expect(readCapture('check_http-closed').message).toBe(
      'connect to address 127.0.0.1 and port 1: Connection refused',
    );
  });
});

describe('splitPluginOutput', () => {
  // No plugin of monitoring-plugins-basic prints long output with perfdata: these are the cases of Naemon's
  // own parser tests (naemon-core tests/test-checks.c), the reference for how Nagios 3+ splits output.
  it('splits like Nagios: first line, then perfdata from the first `|` of the long output onwards', () => {
    expect(splitPluginOutput('TEST WARNING - a line of output and | some=perfdata;')).toEqual({
      summary: 'TEST WARNING - a line of output and ',
      perfdata: ' some=perfdata;',
    });
    const multi = splitPluginOutput(
      "TEST OK - a line of output and | some=perfdata;\nHere's some additional\nLONG output\n" +
        'which suddenly becomes | more=perfdata;\non=several;lines;',
    );
    expect(multi.summary).toBe('TEST OK - a line of output and ');
    expect(multi.perfdata).toBe(' some=perfdata;\n more=perfdata;\non=several;lines;');
    expect(splitPluginOutput('TEST CRITICAL - Oh my\n| some=perfdata;')).toEqual({
      summary: 'TEST CRITICAL - Oh my',
      perfdata: ' some=perfdata;',
    });
    expect(splitPluginOutput('| some=perfdata;\n|and=more;perfdata;').perfdata).toBe(
      ' some=perfdata;\nand=more;perfdata;',
    );
    expect(splitPluginOutput('\n|some=perfdata;')).toEqual({ summary: '', perfdata: 'some=perfdata;' });
    expect(splitPluginOutput('')).toEqual({ summary: '', perfdata: '' });
  });

  it('keeps a later `|` of the long output in the perfdata, where it spoils only its own item', () => {
    const { perfdata } = splitPluginOutput('OK\nlong | a=1\nb=2 | c=3');
    const parsed = parsePerfdata(perfdata);
    expect(parsed.items.map((i) => i.label)).toEqual(['a', 'b', 'c']);
    expect(parsed.problems).toEqual(['"|" has no "="']);
  });
});

describe('the perfdata grammar', () => {
  // Hand-written items: the corners of the guidelines' grammar that the captured plugins do not reach.
  it('reads quoted labels with spaces, `=` and escaped quotes', () => {
    const parsed = parsePerfdata("'it''s a = b'=5 'C:\\ Used Space'=10GB;;;0;20 ''''=1");
    expect(parsed.problems).toEqual([]);
    expect(parsed.items).toEqual([
      { label: "it's a = b", value: 5 },
      { label: 'C:\\ Used Space', value: 10 * 1024 ** 3, min: 0, max: 20 * 1024 ** 3 },
      { label: "'", value: 1 },
    ]);
  });

  it('takes the upper bound of a range threshold, else its lower bound', () => {
    expect(
      ['10', '10:', '~:5', '10:20', '@1:3', '@~:7', '~:', '', 'x', '1:y', '5e1'].map(rangeBound),
    ).toEqual([10, 10, 5, 20, 3, 7, undefined, undefined, undefined, undefined, 50]);
    expect(parsePerfdata('t=1;@10:20;~:30;0;100').items).toEqual([
      { label: 't', value: 1, warn: 20, crit: 30, min: 0, max: 100 },
    ]);
  });

  it('converts every unit to its base unit, thresholds included, and keeps unknown units as printed', () => {
    const values = (text: string) => parsePerfdata(text).items.map((i) => [i.label, i.value, i.warn]);
    expect(values('a=1KB;2 b=1MB c=1.5GB d=1TB e=1kB f=1MiB g=2B')).toEqual([
      ['a', 1024, 2048],
      ['b', 1048576, undefined],
      ['c', 1.5 * 1024 ** 3, undefined],
      ['d', 1024 ** 4, undefined],
      ['e', 1024, undefined],
      ['f', 1048576, undefined],
      ['g', 2, undefined],
    ]);
    expect(values('a=250ms;500 b=1500us c=2s d=12.5% e=123456c f=3000rpm g=-4.5e-3')).toEqual([
      ['a', 0.25, 0.5],
      ['b', 0.0015, undefined],
      ['c', 2, undefined],
      ['d', 12.5, undefined],
      ['e', 123456, undefined],
      ['f', 3000, undefined],
      ['g', -0.0045, undefined],
    ]);
  });

  it('skips undetermined values and counts malformed items without dropping the good ones', () => {
    const parsed = parsePerfdata(
      "a=U;1;2 ok=1 comma=0,5 word=abc =3 lonely 'q'x=1 n=NaN big=1e999 last=2 'open=4",
    );
    expect(parsed.undetermined).toBe(1);
    expect(parsed.items.map((i) => [i.label, i.value])).toEqual([
      ['ok', 1],
      ['last', 2],
    ]);
    expect(parsed.problems).toEqual([
      "value of 'comma' is not a number",
      "value of 'word' is not a number",
      'an item has an empty label',
      '"lonely" has no "="',
      `'q' is not followed by "="`,
      "value of 'n' is not a number",
      "value of 'big' is not a number",
      'unterminated quoted label',
    ]);
  });

  it('reads units and labels named after Object.prototype members like any other', () => {
    const { items } = parsePerfdata('a=1constructor b=2toString __proto__=3 constructor=4');
    expect(items.map((i) => [i.label, i.value])).toEqual([
      ['a', 1],
      ['b', 2],
      ['__proto__', 3],
      ['constructor', 4],
    ]);
    const { metrics } = perfdataMetrics(items, []);
    expect(Object.entries(metrics)).toEqual([
      ['a', 1],
      ['b', 2],
      ['__proto___2', 3],
      ['constructor', 4],
    ]);
  });

  it('ignores fields past max and empty or non-numeric warn, crit, min and max', () => {
    expect(parsePerfdata('a=1;;;;;9;9 b=2;x;y;U;U').items).toEqual([
      { label: 'a', value: 1 },
      { label: 'b', value: 2 },
    ]);
  });
});

describe('metric names', () => {
  it('makes paths instances of `value`, and sanitises other labels into fields', () => {
    expect(metricBase('/')).toEqual({ field: 'value', instance: '/' });
    expect(metricBase('/var/lib/postgresql')).toEqual({ field: 'value', instance: '/var/lib/postgresql' });
    expect(metricBase('C:\\ Used Space')).toEqual({ field: 'C___Used_Space', instance: undefined });
    expect(metricBase('1min')).toEqual({ field: '_1min', instance: undefined });
    expect(metricBase('.hidden')).toEqual({ field: '_.hidden', instance: undefined });
    expect(metricBase('time.avg')).toEqual({ field: 'time.avg', instance: undefined });
  });

  it('never reuses a name: reserved names and labels that sanitise alike get a numbered field', () => {
    const { items } = parsePerfdata("exit_code=7 'a b'=1;2 a_b=3 a.b=4 '/x'=5 /x=6");
    expect(perfdataMetrics(items, ['exit_code', 'perfdata_errors']).metrics).toEqual({
      exit_code_2: 7,
      a_b: 1,
      'a_b.warn': 2,
      a_b_2: 3,
      'a.b': 4,
      'value@/x': 5,
      'value_2@/x': 6,
    });
  });

  it(`stops at ${MAX_PERFDATA_METRICS} metrics and counts the items left out`, () => {
    const text = Array.from({ length: 400 }, (_, i) => `m${i}=${i};1;2`).join(' ');
    const { metrics, dropped } = perfdataMetrics(parsePerfdata(text).items, []);
    expect(Object.keys(metrics)).toHaveLength(MAX_PERFDATA_METRICS);
    expect(dropped).toBe(400 - MAX_PERFDATA_METRICS / 3);
  });
});

describe('property: arbitrary output never breaks the check', () => {
  const pieces = fc.oneof(
    fc.constantFrom("'", "''", '=', ';', ':', '@', '~', ' ', '\n', '|', 'U', '.', '-', 'e', '/', '\u0000'),
    fc.constantFrom('ms', 'us', 's', '%', 'B', 'KB', 'MB', 'GB', 'TB', 'c', 'rpm', 'e999', 'constructor'),
    fc.constantFrom('__proto__', 'toString', 'exit_code', 'perfdata_errors', '/var', "'/mnt/a b'"),
    fc.string({ maxLength: 8 }),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.double().map(String),
    fc.integer().map(String),
  );
  const perfdataLike = fc.array(pieces, { maxLength: 60 }).map((parts) => parts.join(''));
  const anyText = fc.oneof(perfdataLike, fc.string({ unit: 'binary', maxLength: 300 }));

  it('parsePerfdata never throws, yields finite numbers and valid metric names', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parsePerfdata(text);
        for (const item of parsed.items) {
          for (const n of [item.value, item.warn, item.crit, item.min, item.max]) {
            if (n !== undefined) expect(Number.isFinite(n)).toBe(true);
          }
        }
        const { metrics } = perfdataMetrics(parsed.items, ['exit_code', 'perfdata_errors']);
        for (const [name, value] of Object.entries(metrics)) {
          expect(name).toMatch(METRIC_NAME);
          expect(name.length).toBeLessThanOrEqual(200);
          expect(Number.isFinite(value)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a whole outcome from any stdout is valid, one line, and its status is the exit code', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 0, max: 3 }), (stdout, code) => {
        const outcome = outcomeFromRun(
          { kind: 'exited', code, stdout, stderr: '', truncated: false },
          '/x',
          'performance',
        );
        expect(outcome.status).toBe(['ok', 'warning', 'critical', 'unknown'][code]);
        expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
        expect([...outcome.message].filter((char) => char.charCodeAt(0) < 0x20)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('options', () => {
  it('accepts a plugin with args, env and category, and refuses what cannot be run safely', () => {
    const check = (options: unknown) => Value.Check(NagiosOptionsSchema, options);
    expect(check({ command: `${PLUGINS}/check_load`, args: ['-w', '1,1,1'], env: { FOO: 'bar' } })).toBe(
      true,
    );
    expect(check({ command: '/x', category: 'backup' })).toBe(true);
    expect(check({ command: 'check_load' })).toBe(false);
    expect(check({ command: '/x', env: { 'BAD-NAME': 'x' } })).toBe(false);
    expect(check({ command: '/x', category: 'other' })).toBe(false);
    expect(check({ command: '/x', shell: true })).toBe(false);
  });

  it('gives the plugin a minimal environment with LC_ALL=C, whatever env says', () => {
    expect(resolveNagiosOptions({ command: '/x', env: { LC_ALL: 'fr_FR.UTF-8', FOO: 'bar' } })).toEqual({
      command: '/x',
      args: [],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', FOO: 'bar', LC_ALL: 'C' },
      category: 'performance',
    });
  });
});

describe('nagios check with the real plugins', () => {
  let folder: string;
  let http: Server;

  beforeAll(async () => {
    await ensureBinary(`${PLUGINS}/check_load`, PACKAGE);
    folder = await mkdtemp(join(tmpdir(), 'vigie-nagios-'));
    http = createServer((_req, res) => res.end('hello from vigie'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  }, 600_000);
  afterAll(async () => {
    await new Promise((resolve) => http.close(resolve));
    await rm(folder, { recursive: true, force: true });
  });

  it('is the `nagios` type, performance by default, with a category of its own when asked', async () => {
    const registrable: CheckPlugin = nagiosCheck;
    expect(nagiosDefault).toBe(registrable);
    expect(nagiosCheck).toMatchObject({ type: 'nagios', category: 'performance' });
    const backup = await runNagiosCheck(
      { command: `${PLUGINS}/check_dummy`, args: ['0', 'backup fine'], category: 'backup' },
      context(),
    );
    expect(backup).toMatchObject({ status: 'ok', message: 'OK: backup fine', category: 'backup' });
    expect((await runPlugin(`${PLUGINS}/check_dummy`, ['0', 'x'])).category).toBe('performance');
  });

  it('check_load with unreachable thresholds is ok, with the three load averages', async () => {
    const outcome = await runPlugin(`${PLUGINS}/check_load`, ['-w', '100,100,100', '-c', '200,200,200']);
    expect(outcome.status).toBe('ok');
    expect(outcome.message).toMatch(/^LOAD OK - total load average: /);
    expect(outcome.metrics).toMatchObject({ exit_code: 0, perfdata_errors: 0, 'load1.warn': 100 });
    for (const name of ['load1', 'load5', 'load15']) expect(outcome.metrics[name]).toBeGreaterThanOrEqual(0);
  });

  it('check_disk demanding 100% free space is critical; its size of / matches statfs', async () => {
    const outcome = await runPlugin(`${PLUGINS}/check_disk`, ['-w', '100%', '-c', '100%', '-p', '/']);
    expect(outcome.status).toBe('critical');
    expect(outcome.message).toMatch(/^DISK CRITICAL - free space: \/ /);
    const root = await statfs('/');
    // check_disk rounds its sizes down to whole MiB by default.
    expect(Math.abs((outcome.metrics['value.max@/'] ?? 0) - root.blocks * root.bsize)).toBeLessThan(
      1024 ** 2,
    );
    expect(outcome.metrics['value@/']).toBeGreaterThan(0);
  });

  it('check_dummy 0 to 3 give ok, warning, critical and unknown with their message', async () => {
    const statuses = [];
    for (const code of ['0', '1', '2', '3']) {
      const outcome = await runPlugin(`${PLUGINS}/check_dummy`, [code, `said ${code}`]);
      statuses.push([outcome.status, outcome.message, outcome.metrics.exit_code]);
    }
    expect(statuses).toEqual([
      ['ok', 'OK: said 0', 0],
      ['warning', 'WARNING: said 1', 1],
      ['critical', 'CRITICAL: said 2', 2],
      ['unknown', 'UNKNOWN: said 3', 3],
    ]);
  });

  it('check_procs and check_users are ok; check_swap is critical only when there is no swap', async () => {
    const procs = await runPlugin(`${PLUGINS}/check_procs`);
    expect(procs.status).toBe('ok');
    expect(procs.metrics.procs).toBeGreaterThan(0);
    const users = await runPlugin(`${PLUGINS}/check_users`, ['-w', '1000', '-c', '2000']);
    expect(users).toMatchObject({ status: 'ok', metrics: { 'users.warn': 1000, 'users.crit': 2000 } });
    // Thresholds in free bytes that only a full swap is below. Without swap, check_swap 2.3.3 is critical
    // whatever the thresholds, and its `-n ok` that should change this fails with "Could not parse arguments".
    const swap = await runPlugin(`${PLUGINS}/check_swap`, ['-w', '1', '-c', '0']);
    if (/^SwapTotal:\s+0 kB$/m.test(await readFile('/proc/meminfo', 'utf8'))) {
      expect(swap).toMatchObject({
        status: 'critical',
        message: expect.stringMatching(/Swap is either disabled/),
      });
    } else {
      expect(swap.status).toBe('ok');
    }
    expect(swap.metrics.swap).toBeGreaterThanOrEqual(0);
  });

  it('check_file_age: a fresh file is ok, a file two hours old is critical, a missing one too', async () => {
    const file = join(folder, 'backup.tar');
    await writeFile(file, 'x'.repeat(1000));
    const args = (path: string) => ['-w', '60', '-c', '3600', '-f', path];
    const fresh = await runPlugin(`${PLUGINS}/check_file_age`, args(file));
    expect(fresh.status).toBe('ok');
    expect(fresh.metrics).toMatchObject({ size: 1000, 'age.warn': 60, 'age.crit': 3600 });
    const twoHoursAgo = new Date(Date.now() - 7200_000);
    await utimes(file, twoHoursAgo, twoHoursAgo);
    const old = await runPlugin(`${PLUGINS}/check_file_age`, args(file));
    expect(old.status).toBe('critical');
    expect(old.metrics.age).toBeGreaterThanOrEqual(7200);
    const missing = await runPlugin(`${PLUGINS}/check_file_age`, args(join(folder, 'none')));
    expect(missing).toMatchObject({ status: 'critical', message: expect.stringMatching(/File not found/) });
  });

  it('check_tcp and check_http against a local server: response time in seconds', async () => {
    const { port } = http.address() as AddressInfo;
    const tcp = await runPlugin(`${PLUGINS}/check_tcp`, ['-H', '127.0.0.1', '-p', String(port)]);
    expect(tcp.status).toBe('ok');
    expect(tcp.metrics.time_2).toBeLessThan(10);
    expect(tcp.metrics['time_2.max']).toBe(10);
    const web = await runPlugin(`${PLUGINS}/check_http`, ['-H', '127.0.0.1', '-p', String(port), '-u', '/']);
    expect(web.status).toBe('ok');
    expect(web.message).toMatch(/^HTTP OK: HTTP\/1\.1 200 OK/);
    expect(web.metrics.size).toBeGreaterThan('hello from vigie'.length);
  });

  it('check_tcp against a closed port is critical', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await runPlugin(`${PLUGINS}/check_tcp`, ['-H', '127.0.0.1', '-p', String(port)]);
    expect(outcome).toMatchObject({
      status: 'critical',
      message: `connect to address 127.0.0.1 and port ${port}: Connection refused`,
    });
  });
});

describe('nagios check with broken plugins', () => {
  let folder: string;

  /** Writes an executable shell script and returns its path. */
  const script = async (name: string, body: string, mode = 0o755) => {
    const path = join(folder, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, mode);
    return path;
  };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'vigie-nagios-broken-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('garbage perfdata: the status still comes from the exit code, bad items are counted', async () => {
    const plugin = await script('garbage', `echo "GARBAGE OK | a=1 b=abc c=1,5 =3 d 'open=4"`);
    const outcome = await runPlugin(plugin);
    expect(outcome).toMatchObject({
      status: 'ok',
      message: "GARBAGE OK (5 bad perfdata item(s), first: value of 'b' is not a number)",
      metrics: { a: 1, exit_code: 0, perfdata_errors: 5 },
    });
  });

  it('no output, or only stderr, or only a `|`', async () => {
    expect(await runPlugin(await script('silent', 'exit 0'))).toMatchObject({
      status: 'ok',
      message: '(no output)',
      metrics: { exit_code: 0, perfdata_errors: 0 },
    });
    expect(await runPlugin(await script('stderr', 'echo "segfault in libfoo" >&2; exit 2'))).toMatchObject({
      status: 'critical',
      message: '(no output) stderr: segfault in libfoo',
    });
    expect(await runPlugin(await script('bar', "echo '|'; exit 1"))).toMatchObject({
      status: 'warning',
      message: '(empty status line)',
      metrics: { exit_code: 1, perfdata_errors: 0 },
    });
  });

  it('huge output is truncated at 64 KiB, keeps the exit code, and the metrics stay within the limit', async () => {
    const plugin = await script(
      'huge',
      'printf "HUGE WARNING |"; i=0; while [ $i -lt 30000 ]; do printf "m%d=%d;1;2 " $i $i; i=$((i+1)); done; exit 1',
    );
    const outcome = await runPlugin(plugin);
    expect(outcome.status).toBe('warning');
    expect(outcome.message).toMatch(/^HUGE WARNING \(output truncated; .*over the metric limit left out\)$/);
    expect(Object.keys(outcome.metrics).length).toBeLessThanOrEqual(1000);
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
    expect(outcome.metrics.perfdata_errors).toBeGreaterThan(0);
  });

  it('an endless line is cut to a 500-character message', async () => {
    const plugin = await script('long-line', "head -c 200000 /dev/zero | tr '\\0' x; echo; exit 0");
    const outcome = await runPlugin(plugin);
    expect(outcome.status).toBe('ok');
    expect(outcome.message).toBe(`${'x'.repeat(499)}… (output truncated)`);
  });

  it('binary bytes end up as printable text in the message and valid metric names', async () => {
    const plugin = await script(
      'binary',
      String.raw`printf 'BIN \001\033[31mred\000\377\376 OK|\377\376=1 a\001b=2 /dev/\001x=3 c=\377\n'; exit 0`,
    );
    const outcome = await runPlugin(plugin);
    expect(outcome.status).toBe('ok');
    expect(outcome.message).toMatch(/^BIN {3}\[31mred \ufffd\ufffd OK \(1 bad perfdata item/);
    expect(outcome.metrics).toMatchObject({ __: 1, a_b: 2, 'value@/dev/_x': 3, perfdata_errors: 1 });
    expect(Value.Check(MetricsSchema, outcome.metrics)).toBe(true);
  });

  it('CRLF line ends and multi-line perfdata in the long output', async () => {
    const plugin = await script(
      'multi',
      String.raw`printf 'DB OK - 2 databases | conns=12;80;90;0;100\r\n'
printf 'shop: 1.2 GB\r\nerp: 300 MB | shop=1.2GB;;;0\r\nerp=300MB;;;0\r\n'`,
    );
    const outcome = await runPlugin(plugin);
    expect(outcome).toMatchObject({
      status: 'ok',
      message: 'DB OK - 2 databases',
      metrics: {
        conns: 12,
        'conns.max': 100,
        shop: 1.2 * 1024 ** 3,
        erp: 300 * 1024 ** 2,
        perfdata_errors: 0,
      },
    });
  });

  it('exit codes outside 0..3 and deaths by signal are unknown, with the reason', async () => {
    expect(await runPlugin(await script('exit4', 'echo "OK - I think"; exit 4'))).toMatchObject({
      status: 'unknown',
      message: 'plugin exited with code 4: OK - I think',
      metrics: { exit_code: 4 },
    });
    expect(await runPlugin(await script('exit255', 'exit 255'))).toMatchObject({
      status: 'unknown',
      message: 'plugin exited with code 255',
    });
    expect(await runPlugin(await script('missing-tool', 'no-such-tool-vigie'))).toMatchObject({
      status: 'unknown',
      message: expect.stringMatching(
        /^plugin exited with code 127: \(no output\) stderr: .*missing-tool: 2: no-such-tool-vigie: not found$/,
      ),
    });
    expect(await runPlugin(await script('term', 'echo "half done"; kill -TERM $$'))).toMatchObject({
      status: 'unknown',
      message: 'plugin killed by SIGTERM: half done',
      metrics: { perfdata_errors: 0 },
    });
    const killed = await runPlugin(await script('kill9', 'kill -KILL $$'));
    expect(killed).toMatchObject({ status: 'unknown', message: 'plugin killed by SIGKILL' });
    expect(killed.metrics.exit_code).toBeUndefined();
  });

  it('a plugin that cannot be started is unknown with the errno', async () => {
    await mkdir(join(folder, 'a-folder'));
    const cases = [
      [join(folder, 'absent'), 'ENOENT'],
      [await script('not-executable', 'echo OK', 0o644), 'EACCES'],
      [join(folder, 'a-folder'), 'EACCES'],
      [
        await script('bad-interpreter', 'echo OK').then(async (p) => {
          await writeFile(p, '#!/vigie/no/such/shell\necho OK\n');
          return p;
        }),
        'ENOENT',
      ],
    ] as const;
    for (const [command, code] of cases) {
      expect(await runPlugin(command)).toEqual({
        status: 'unknown',
        metrics: {},
        message: `cannot run ${command}: ${code}`,
        category: 'performance',
      });
    }
    const nul = await runPlugin(`${PLUGINS}/check_dummy`, ['0', 'a\u0000b']);
    expect(nul).toMatchObject({
      status: 'unknown',
      message: expect.stringMatching(/^cannot run .*null bytes/),
    });
    expect(await nagiosCheck.run({ command: 'check_load' }, context())).toMatchObject({
      status: 'unknown',
      message: 'command must be an absolute path: check_load',
    });
  });

  it('a plugin past its timeout is killed with its children, and the check says it did not finish', async () => {
    const pidFile = join(folder, 'sleep.pid');
    const plugin = await script('sleepy', `echo starting; sleep 30 & echo $! > ${pidFile}; wait`);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('timed out after 300 ms')), 300);
    const outcome = await runPlugin(plugin, [], controller.signal);
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: 'plugin did not finish: timed out after 300 ms (plugin killed)',
      category: 'performance',
    });
    expect(Date.now() - started).toBeLessThan(5000);
    const sleepPid = Number(await readFile(pidFile, 'utf8'));
    expect(await isRunning(sleepPid)).toBe(false);
  });

  it('an already aborted run does not start the plugin', async () => {
    const marker = join(folder, 'started');
    const plugin = await script('marker', `touch ${marker}`);
    const controller = new AbortController();
    controller.abort();
    const outcome = await runPlugin(plugin, [], controller.signal);
    expect(outcome).toMatchObject({ status: 'unknown', message: 'plugin did not finish: aborted' });
    await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
  });

  it('a background child left holding stdout does not hold the check once the plugin has exited', async () => {
    const pidFile = join(folder, 'daemon.pid');
    const plugin = await script('daemonise', `sleep 30 & echo $! > ${pidFile}; echo "STARTED OK"; exit 0`);
    const started = Date.now();
    const outcome = await runPlugin(plugin);
    expect(outcome).toMatchObject({ status: 'ok', message: 'STARTED OK' });
    expect(Date.now() - started).toBeLessThan(5000);
    process.kill(Number(await readFile(pidFile, 'utf8')), 'SIGKILL');
  });

  it('runs without a shell and with a minimal environment: no agent variable leaks into the plugin', async () => {
    process.env.VIGIE_NAGIOS_TEST_SECRET = 'agent-only';
    try {
      const plugin = await script(
        'env',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell default-value expansion, not a JS template.
        'echo "LC_ALL=$LC_ALL FOO=$FOO SECRET=${VIGIE_NAGIOS_TEST_SECRET:-absent} ARG=$1"',
      );
      const outcome = await nagiosCheck.run(
        { command: plugin, args: ['$(touch /tmp/vigie-pwned); *'], env: { FOO: 'bar baz' } },
        context(),
      );
      expect(outcome.message).toBe('LC_ALL=C FOO=bar baz SECRET=absent ARG=$(touch /tmp/vigie-pwned); *');
    } finally {
      delete process.env.VIGIE_NAGIOS_TEST_SECRET;
    }
  });
});
