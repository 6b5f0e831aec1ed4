// A real SMTP server for e-mail tests: aiosmtpd (Debian package python3-aiosmtpd) on a free loopback port,
// storing what it receives in a Maildir that the test reads. It can be stopped and started again on the same
// port (an outage). Debian's python3 is used: another python3 first on PATH (pyenv) may lack the module.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureFound, findBinary } from './packages.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** A python3 that can import aiosmtpd. */
async function pythonWithAiosmtpd(): Promise<string | undefined> {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const path = await findBinary(candidate);
    if (!path) continue;
    try {
      await run(path, ['-c', 'import aiosmtpd']);
      return path;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') continue;
      // This python3 lacks the module: try the next one.
    }
  }
  return undefined;
}

export interface ReceivedMail {
  headers: Record<string, string>;
  body: string;
}

export interface SmtpServer {
  port: number;
  /** Every message received so far, oldest first. */
  messages(): ReceivedMail[];
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** Decodes RFC 2047 encoded words (=?utf-8?Q?...?= and =?utf-8?B?...?=) of a header value. */
function decodeWords(value: string): string {
  return value.replace(
    /=\?([^?]+)\?([QqBb])\?([^?]*)\?=\s*/g,
    (_, _charset: string, enc: string, text: string) => {
      if (enc.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
      const bytes = text
        .replace(/_/g, ' ')
        .replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    },
  );
}

/** Headers (unfolded, decoded, lower-case names) and the body, quoted-printable decoded when so sent. */
export function parseMail(raw: string): ReceivedMail {
  const split = raw.indexOf('\n\n') >= 0 ? raw.indexOf('\n\n') : raw.length;
  const head = raw
    .slice(0, split)
    .replace(/\r/g, '')
    .replace(/\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = decodeWords(line.slice(i + 1).trim());
  }
  let body = raw.slice(split + 2).replace(/\r/g, '');
  if (/quoted-printable/i.test(headers['content-transfer-encoding'] ?? '')) {
    const bytes = body
      .replace(/=\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  } else if (/base64/i.test(headers['content-transfer-encoding'] ?? '')) {
    body = Buffer.from(body, 'base64').toString('utf8');
  }
  return { headers, body };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export async function startSmtp(): Promise<SmtpServer> {
  const python = await ensureFound(pythonWithAiosmtpd, 'python3-aiosmtpd', 'A python3 with aiosmtpd');
  const dir = mkdtempSync(join(tmpdir(), 'vigie-smtp-'));
  const maildir = join(dir, 'mail');
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    child = spawn(
      python,
      ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const started = child;
    await waitFor(
      `aiosmtpd on port ${port} (output: ${output.slice(-500)})`,
      async () => {
        if (started.exitCode !== null) throw new Error(`aiosmtpd exited: ${output.slice(-500)}`);
        return listening(port);
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    port,
    messages() {
      const folder = join(maildir, 'new');
      let files: string[];
      try {
        files = readdirSync(folder);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      // Maildir names start with the delivery time in seconds: sort by it, then by name.
      return files.sort().map((f) => parseMail(readFileSync(join(folder, f), 'utf8')));
    },
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
