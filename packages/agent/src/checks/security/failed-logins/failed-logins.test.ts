import { readFileSync } from 'node:fs';
import { appendFile, chmod, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { MetricsSchema } from '@vigie/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCheck } from '../../../../../../test/support/built-check.js';
import type { CheckContext } from '../../types.js';
import failedLoginsDefault, { failedLoginsCheck } from './index.js';
import { journalArgs, readJournal } from './journal.js';
import { countFailures } from './lines.js';
import { FailedLoginsOptionsSchema } from './options.js';

/**
 * Real messages: a real sshd (with UsePAM) on 127.0.0.1/::1 received wrong passwords for root (from
 * 127.0.0.1), for an unknown user (from 127.0.0.2) and a key-less login of an unknown user (from ::1); its
 * syslog datagrams were captured and written the way rsyslog writes /var/log/auth.log (see README).
 */
const authLog = readFileSync(new URL('./testdata/auth-sshd-pam.log', import.meta.url), 'utf8');
const lines = authLog
  .trimEnd()
  .split('\n')
  .map((line) => `${line}\n`);
/** The first connection (root from 127.0.0.1, up to its PAM summary): 4 counted lines. */
const rootAttempt = lines.slice(0, 9).join('');
/** The other two connections: 6 counted lines from 127.0.0.2 and ::1. */
const otherAttempts = lines.slice(9).join('');

let folder: string;
let counter = 0;
const context = (now = () => new Date()): CheckContext => ({
  signal: new AbortController().signal,
  now,
  state: new Map(),
});

async function logFile(content = ''): Promise<string> {
  const path = join(folder, `auth-${counter++}.log`);
  await writeFile(path, content);
  return path;
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'vigie-failed-logins-'));
  await chmod(folder, 0o755);
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('countFailures', () => {
  it('counts the failed password, invalid user and PAM failure lines of a real sshd', () => {
    const count = countFailures(authLog);
    expect(count.failures).toBe(10);
    expect([...count.sources].sort()).toEqual(['127.0.0.1', '127.0.0.2', '::1']);
    expect(countFailures(rootAttempt).failures).toBe(4);
    expect(countFailures(otherAttempts).failures).toBe(6);
  });

  it('reads the journal form (message only) the same way', () => {
    const messages = authLog.replace(/^\w{3} [ \d]\d [\d:]{8} \S+ sshd\[\d+\]: /gm, '');
    expect(messages).toContain('\nFailed password for root from 127.0.0.1 port');
    expect(countFailures(messages).failures).toBe(10);
  });
});

describe('failed-logins check on a log file', () => {
  it('takes a baseline first, then counts only the lines appended since the previous run', async () => {
    const path = await logFile(rootAttempt);
    const ctx = context();
    const first = await failedLoginsCheck.run({ logFiles: [path] }, ctx);
    expect(first).toEqual({
      status: 'ok',
      metrics: { failed_logins: 0, sources: 0 },
      message: `baseline taken: counting failed logins from now on in ${path}`,
    });
    const nothing = await failedLoginsCheck.run({ logFiles: [path] }, ctx);
    expect(nothing.metrics).toEqual({ failed_logins: 0, sources: 0 });

    await appendFile(path, otherAttempts);
    const second = await failedLoginsCheck.run({ logFiles: [path] }, ctx);
    expect(second).toEqual({
      status: 'ok',
      metrics: { failed_logins: 6, sources: 2 },
      message: `6 failed login line(s) since the previous run from 2 source(s) in ${path}`,
    });
    expect(Value.Check(MetricsSchema, second.metrics)).toBe(true);
    expect((await failedLoginsCheck.run({ logFiles: [path] }, ctx)).metrics.failed_logins).toBe(0);
  });

  it('waits for a line being written to be complete', async () => {
    const path = await logFile();
    const ctx = context();
    await failedLoginsCheck.run({ logFiles: [path] }, ctx);
    const line = lines[3] as string;
    await appendFile(path, line.slice(0, 30));
    expect((await failedLoginsCheck.run({ logFiles: [path] }, ctx)).metrics.failed_logins).toBe(0);
    await appendFile(path, line.slice(30));
    expect((await failedLoginsCheck.run({ logFiles: [path] }, ctx)).metrics.failed_logins).toBe(1);
  });

  it('follows a rotation: the rest of the old file (.1), then the new file from its start', async () => {
    const path = await logFile(rootAttempt);
    const ctx = context();
    await failedLoginsCheck.run({ logFiles: [path] }, ctx);
    // Written to the old file after our last read, then logrotate moves it and a new file starts.
    await appendFile(path, lines.slice(9, 12).join(''));
    await rename(path, `${path}.1`);
    await writeFile(path, lines.slice(12).join(''));
    const outcome = await failedLoginsCheck.run({ logFiles: [path] }, ctx);
    expect(outcome.metrics).toEqual({ failed_logins: 6, sources: 2 });
    expect(outcome.message).toMatch(/; .*auth-\d+\.log rotated$/);
  });

  it('starts again from the beginning when the file was truncated (copytruncate)', async () => {
    const path = await logFile(otherAttempts);
    const ctx = context();
    await failedLoginsCheck.run({ logFiles: [path] }, ctx);
    await truncate(path, 0);
    await appendFile(path, rootAttempt);
    const outcome = await failedLoginsCheck.run({ logFiles: [path] }, ctx);
    expect(outcome.metrics).toEqual({ failed_logins: 4, sources: 1 });
  });

  it('counts what is there on the first run with countExisting, and applies the thresholds', async () => {
    const path = await logFile(authLog);
    const outcome = await failedLoginsCheck.run(
      { logFiles: [path], countExisting: true, warning: 3, critical: 10 },
      context(),
    );
    expect(outcome).toEqual({
      status: 'critical',
      metrics: { failed_logins: 10, sources: 3 },
      message: `10 failed login line(s) since the previous run from 3 source(s) in ${path} (critical >= 10)`,
    });
    const warning = await failedLoginsCheck.run(
      { logFiles: [path], countExisting: true, warning: 3 },
      context(),
    );
    expect(warning.status).toBe('warning');
    expect(warning.message).toMatch(/\(warning >= 3\)$/);
  });

  it('reads every configured file that exists, and only those', async () => {
    const a = await logFile(rootAttempt);
    const b = await logFile(otherAttempts);
    const outcome = await failedLoginsCheck.run(
      { logFiles: [a, join(folder, 'absent.log'), b], countExisting: true },
      context(),
    );
    expect(outcome.metrics).toEqual({ failed_logins: 10, sources: 3 });
  });

  it('is unknown when source is file and no log file exists', async () => {
    const outcome = await failedLoginsCheck.run(
      { source: 'file', logFiles: [join(folder, 'none.log')] },
      context(),
    );
    expect(outcome).toEqual({
      status: 'unknown',
      metrics: {},
      message: `no log file found (${folder}/none.log)`,
    });
  });

  // auth.log is root:adm 0640: an agent outside the adm group cannot read it. Root reads anything, so the
  // check runs as `nobody` in a child process (it imports the built plugin, which `npm test` builds first).
  it('is unknown when the agent may not read the log', async () => {
    const path = await logFile(authLog);
    await chmod(path, 0o640);
    const outcome = await runBuiltCheck({
      module: fileURLToPath(
        new URL('../../../../dist/checks/security/failed-logins/index.js', import.meta.url),
      ),
      check: 'failedLoginsCheck',
      options: { logFiles: [path], countExisting: true },
      asNobody: true,
    });
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toBe(`cannot read ${path}: EACCES: permission denied, open '${path}'`);
  });
});

describe('failed-logins check on the journal', () => {
  it('asks journalctl for the ssh units between the previous run and now', () => {
    expect(journalArgs(['ssh', 'sshd'], 1_700_000_000_123, 1_700_000_300_000)).toEqual([
      '--quiet',
      '--no-pager',
      '--output=cat',
      ...['-u', 'ssh', '-u', 'sshd'],
      ...['--since', '@1700000000.123000', '--until', '@1700000300.000000'],
    ]);
    expect(journalArgs(['ssh'], undefined, 1000)).not.toContain('--since');
  });

  // This machine has journalctl but no journal entries for ssh: the real journalctl answers with nothing.
  it('takes a baseline, then reads the real journalctl', async () => {
    const none = [join(folder, 'no-auth.log')];
    let now = new Date('2026-01-10T10:00:00Z');
    const ctx = context(() => now);
    const first = await failedLoginsCheck.run({ logFiles: none }, ctx);
    expect(first.message).toBe('baseline taken: counting failed logins from now on in the journal');
    now = new Date('2026-01-10T10:05:00Z');
    const second = await failedLoginsCheck.run({ logFiles: none, source: 'auto' }, ctx);
    expect(second).toEqual({
      status: 'ok',
      metrics: { failed_logins: 0, sources: 0 },
      message: '0 failed login line(s) since the previous run in journal of ssh, sshd',
    });
    expect(ctx.state.get('journal:until')).toBe(now.getTime());
  });

  it("surfaces journalctl's own error, and ENOENT when it is missing", async () => {
    const signal = new AbortController().signal;
    await expect(readJournal(['--since', 'not-a-date'], signal)).rejects.toThrow(
      /^Failed to parse timestamp: not-a-date$/,
    );
    await expect(readJournal([], signal, '/nonexistent/journalctl')).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('is exported by name and by default, with a strict options schema', () => {
    expect(failedLoginsDefault).toBe(failedLoginsCheck);
    expect(failedLoginsCheck.type).toBe('failed-logins');
    expect(Value.Check(FailedLoginsOptionsSchema, { source: 'journal', warning: 5, critical: 50 })).toBe(
      true,
    );
    expect(Value.Check(FailedLoginsOptionsSchema, { source: 'syslog' })).toBe(false);
    expect(Value.Check(FailedLoginsOptionsSchema, { logFiles: ['auth.log'] })).toBe(false);
  });
});
