// A throwaway minimal Debian root (debootstrap minbase: no Node.js) to install packages into with chroot. The
// first run makes it with debootstrap from the Debian mirror (about a minute) and caches it as a tarball in
// ~/.cache/vigie (or $XDG_CACHE_HOME/vigie); later runs unpack the cache in seconds.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureBinary } from './packages.js';

const exec = promisify(execFile);
const SUITE = 'bookworm';
const MIRROR = process.env.VIGIE_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const STEP_TIMEOUT_MS = 5 * 60_000;

function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'vigie', 'debootstrap');
}

export interface DebianRoot {
  dir: string;
  /** Runs a command inside the root (as root, or as `user`), returning its output; throws with it on failure. */
  run(args: string[], opts?: { user?: string; env?: Record<string, string> }): Promise<string>;
  dispose(): Promise<void>;
}

async function sh(cmd: string, args: string[], timeout = STEP_TIMEOUT_MS): Promise<string> {
  try {
    const { stdout, stderr } = await exec(cmd, args, { timeout, maxBuffer: 64 * 1024 * 1024 });
    return `${stdout}${stderr}`;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed: ${e.message.split('\n')[0]}\n${e.stderr ?? ''}${e.stdout ?? ''}`,
    );
  }
}

/** The cached root filesystem tarball, made on first use. */
async function cachedRoot(): Promise<string> {
  const cache = cacheDir();
  const rootTar = join(cache, `${SUITE}-minbase-root.tar`);
  if (existsSync(rootTar)) return rootTar;
  mkdirSync(cache, { recursive: true });
  const debootstrap = await ensureBinary('debootstrap', 'debootstrap');
  const packagesTar = join(cache, `${SUITE}-minbase.tgz`);
  if (!existsSync(packagesTar)) {
    const scratch = mkdtempSync(join(tmpdir(), 'vigie-debootstrap-'));
    try {
      await sh(debootstrap, [
        '--variant=minbase',
        `--make-tarball=${packagesTar}.part`,
        SUITE,
        scratch,
        MIRROR,
      ]);
      renameSync(`${packagesTar}.part`, packagesTar);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const staging = mkdtempSync(join(tmpdir(), 'vigie-debroot-'));
  try {
    await sh(debootstrap, ['--variant=minbase', `--unpack-tarball=${packagesTar}`, SUITE, staging, MIRROR]);
    await sh('tar', ['-C', staging, '-cf', `${rootTar}.part`, '.']);
    renameSync(`${rootTar}.part`, rootTar);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return rootTar;
}

/** A fresh Debian root in a temporary folder, with /proc mounted (the agent's checks read it). */
export async function debianRoot(): Promise<DebianRoot> {
  const tar = await cachedRoot();
  const dir = mkdtempSync(join(tmpdir(), 'vigie-root-'));
  await sh('tar', ['-C', dir, '-xf', tar]);
  chmodSync(dir, 0o755); // a root's `/`: the agent's own user must be able to enter it
  let procMounted = false;
  try {
    await sh('mount', ['-t', 'proc', 'proc', join(dir, 'proc')]);
    procMounted = true;
  } catch {
    // Without the privilege to mount (some containers), checks that read /proc report unknown: still usable.
  }
  return {
    dir,
    run(args, opts = {}) {
      const env = Object.entries({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env }).map(
        ([k, v]) => `${k}=${v}`,
      );
      const user = opts.user ? [`--userspec=${opts.user}:${opts.user}`] : [];
      return sh('env', ['-i', ...env, 'chroot', ...user, dir, ...args], 120_000);
    },
    async dispose() {
      // Never delete through a mount still in place: the folder is left for the next boot's tmp cleaning.
      if (procMounted) await sh('umount', [join(dir, 'proc')]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
