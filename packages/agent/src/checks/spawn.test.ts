import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPlugin } from './nagios/process.js';
import { execTool, type ToolFailure } from './spawn.js';
import { runTool } from './tool.js';

// A real script that forks a `sleep 300` and waits for it: killing only the script would leave the sleep
// running (and holding the output pipe). Copied to a temporary folder so the checkout's place does not matter.
const dir = mkdtempSync(join(tmpdir(), 'vigie-spawn-'));
const script = join(dir, 'forks-a-sleeper.sh');
copyFileSync(new URL('./testdata/forks-a-sleeper.sh', import.meta.url), script);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Running, not a zombie (an orphan killed in a container may wait long for a pid 1 that reaps it). */
function alive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // no such process
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

async function childGone(pidFile: string): Promise<boolean> {
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  expect(pid).toBeGreaterThan(1);
  // The kill is sent before the run settles; the kernel may take a moment to reap the sleeper.
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

/** Aborts after the script has written its child's pid (the child is surely running then). */
function abortWhenForked(pidFile: string): AbortSignal {
  const controller = new AbortController();
  const poll = setInterval(() => {
    if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '') {
      clearInterval(poll);
      controller.abort(new Error('timed out after 1 ms'));
    }
  }, 10);
  setTimeout(() => clearInterval(poll), 10_000).unref();
  return controller.signal;
}

describe('a tool that outlives its timeout', () => {
  it('execTool kills the whole process group, the forked child included', async () => {
    const pidFile = join(dir, 'exec.pid');
    const started = Date.now();
    const err = (await execTool('/bin/sh', [script, pidFile], {
      signal: abortWhenForked(pidFile),
      maxBuffer: 1024,
    }).catch((e: unknown) => e)) as ToolFailure;
    expect(err.name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await childGone(pidFile)).toBe(true);
  });

  it('runTool (firewall, updates...) kills the group too', async () => {
    const pidFile = join(dir, 'tool.pid');
    await expect(
      runTool('/bin/sh', [script, pidFile], abortWhenForked(pidFile), { maxBuffer: 1024 }),
    ).rejects.toThrow(/aborted/);
    expect(await childGone(pidFile)).toBe(true);
  });

  it('a Nagios plugin is killed with its group', async () => {
    const pidFile = join(dir, 'nagios.pid');
    const run = await runPlugin(
      '/bin/sh',
      [script, pidFile],
      { PATH: '/usr/bin:/bin' },
      abortWhenForked(pidFile),
    );
    expect(run.kind).toBe('aborted');
    expect(await childGone(pidFile)).toBe(true);
  });

  it('answers like execFile otherwise: output, exit status, missing program, too much output', async () => {
    const signal = new AbortController().signal;
    expect(await execTool('/bin/sh', ['-c', 'echo out; echo err >&2'], { signal, maxBuffer: 1024 })).toEqual({
      stdout: 'out\n',
      stderr: 'err\n',
    });
    const exit3 = (await execTool('/bin/sh', ['-c', 'echo why >&2; exit 3'], {
      signal,
      maxBuffer: 1024,
    }).catch((e: unknown) => e)) as ToolFailure;
    expect(exit3.code).toBe(3);
    expect(exit3.stderr).toBe('why\n');
    const missing = (await execTool('/nonexistent/tool', [], { signal, maxBuffer: 1024 }).catch(
      (e: unknown) => e,
    )) as ToolFailure;
    expect(missing.code).toBe('ENOENT');
    const loud = (await execTool('/bin/sh', ['-c', 'yes | head -c 100000'], {
      signal,
      maxBuffer: 1000,
    }).catch((e: unknown) => e)) as ToolFailure;
    expect(loud.code).toBe('ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
    const slow = (await execTool('/bin/sh', ['-c', 'sleep 5'], {
      signal,
      maxBuffer: 10,
      timeoutMs: 100,
    }).catch((e: unknown) => e)) as ToolFailure;
    expect(slow.killed).toBe(true);
  });
});
