// Runs a built check (`npm test` builds first) in a child process, optionally as `nobody`, for the tests that
// need what only another user meets (a file it may not read, a capability it lacks).
//
// The child imports the check as the user running the tests, and only then drops to nobody (setgroups,
// setgid, setuid): a checkout under a folder other users cannot enter (a home of mode 0700, `mktemp -d`)
// must not matter, as it would if the child started as nobody and had to read the checkout.
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const NOBODY = 65534;

export interface BuiltCheckRun {
  /** The built module, e.g. `<package>/dist/checks/security/sshd/index.js`. */
  module: string;
  /** Its export holding the check (`sshdCheck`). */
  check: string;
  options: unknown;
  /** Run the check as nobody (when the tests run as root; another user already is unprivileged). */
  asNobody?: boolean;
  /** A command to run node under, as root: `unshare -m ...`, `ip netns exec NS`. */
  prefix?: readonly string[];
  /** A shell command run (under `prefix`) before node, e.g. a mount in the private namespace. */
  shell?: string;
}

export interface Outcome {
  status: string;
  metrics: Record<string, number>;
  message: string;
}

export async function runBuiltCheck(r: BuiltCheckRun): Promise<Outcome> {
  const drop =
    r.asNobody && process.getuid?.() === 0
      ? `process.setgroups([]); process.setgid(${NOBODY}); process.setuid(${NOBODY});`
      : '';
  const script = `const m = await import(${JSON.stringify(pathToFileURL(r.module).href)});
${drop}
const r = await m[${JSON.stringify(r.check)}].run(${JSON.stringify(r.options)},
  { signal: new AbortController().signal, now: () => new Date(), state: new Map() });
process.stdout.write(JSON.stringify(r));`;
  const node = [process.execPath, '--input-type=module', '-e', script];
  const prefix = r.prefix ?? [];
  const command =
    r.shell === undefined
      ? [...prefix, ...node]
      : [...prefix, 'sh', '-c', `${r.shell} && exec "$@"`, 'sh', ...node];
  const [cmd, ...args] = command;
  // From `/`: nobody may not be able to enter the folder the tests run from.
  const { stdout } = await run(cmd as string, args, { cwd: '/' });
  return JSON.parse(stdout) as Outcome;
}
