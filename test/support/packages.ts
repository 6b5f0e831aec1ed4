// Finds the server binaries the integration tests need, installing their Debian package when we are root.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

const APT_TIMEOUT_MS = 10 * 60_000;

// Directories searched after PATH: a non-root PATH often lacks the sbin ones.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of `binary` (a bare name looked up on PATH, or an absolute path), or undefined. */
export async function findBinary(binary: string): Promise<string | undefined> {
  if (isAbsolute(binary)) return (await isExecutableFile(binary)) ? binary : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, binary);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

interface CommandResult {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// apt-get and dpkg take a global lock: serialise our own calls (servers start in parallel), and let apt
// wait a while for a lock held by another process.
let aptQueue: Promise<unknown> = Promise.resolve();

function aptGet(args: string[]): Promise<CommandResult> {
  const next = aptQueue.then(() =>
    run(
      'apt-get',
      [
        '-o',
        'DPkg::Lock::Timeout=300',
        '-o',
        'Dpkg::Options::=--force-confdef',
        '-o',
        'Dpkg::Options::=--force-confold',
        ...args,
      ],
      APT_TIMEOUT_MS,
    ),
  );
  aptQueue = next.catch(() => undefined);
  return next;
}

/**
 * Installs a Debian package (root only). When the first attempt fails, most often because the package lists are
 * missing or stale ("Unable to locate package", 404 on fetch), runs `apt-get update` and retries once.
 */
export async function aptInstall(debianPackage: string): Promise<void> {
  const first = await aptGet(['install', '-y', '--no-install-recommends', debianPackage]);
  if (first.code === 0) return;
  const update = await aptGet(['update']);
  const second = await aptGet(['install', '-y', '--no-install-recommends', debianPackage]);
  if (second.code === 0) return;
  throw new Error(
    `apt-get install -y ${debianPackage} failed (exit ${String(second.code)}; apt-get update exit ${String(update.code)}):\n` +
      tail(second.output),
  );
}

/**
 * Runs `find`; when it finds nothing, installs `debianPackage` if we are root and runs `find` again.
 * `what` names the thing looked for in error messages.
 */
export async function ensureFound<T>(
  find: () => Promise<T | undefined>,
  debianPackage: string,
  what: string,
): Promise<T> {
  const found = await find();
  if (found !== undefined) return found;
  if (!isRoot()) {
    throw new Error(
      `${what} is missing: install the Debian package "${debianPackage}" (sudo apt-get install -y ${debianPackage})`,
    );
  }
  await aptInstall(debianPackage);
  const installed = await find();
  if (installed === undefined) {
    throw new Error(`${what} is still missing after installing the Debian package "${debianPackage}"`);
  }
  return installed;
}

/**
 * The absolute path of `binary` (looked up on PATH when it is a bare name). When it is missing, installs
 * `debianPackage` with apt-get if the process is root, or throws an Error naming the package to install.
 *
 * Installing some packages (e.g. Debian's `influxdb`) may start a system service on its default ports; the
 * tests never use it: their own instances listen on free loopback ports.
 */
export function ensureBinary(binary: string, debianPackage: string): Promise<string> {
  return ensureFound(() => findBinary(binary), debianPackage, `The program "${binary}"`);
}
