// After `vigie-agent enroll`: (re)start the agent's systemd service when systemd runs this host, or say how to
// start the agent where it does not (a container, a chroot, a host with another init).
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const SERVICE_UNIT = 'vigie-agent.service';

export interface ServiceHost {
  /** True when systemd is the running init (the check `sd_booted()` makes). */
  systemdRuns(): boolean;
  /** The path of a program on PATH, or undefined. */
  which(program: string): string | undefined;
  run(program: string, args: string[]): Promise<{ code: number; output: string }>;
}

export const realHost: ServiceHost = {
  systemdRuns: () => existsSync('/run/systemd/system'),
  which(program) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir === '') continue;
      const candidate = join(dir, program);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this folder: try the next one
      }
    }
    return undefined;
  },
  run(program, args) {
    return new Promise((resolve) => {
      execFile(program, args, { timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, output: `${stdout}${stderr}`.trim() || (err?.message ?? '') });
      });
    });
  },
};

/** Enables and (re)starts the service under systemd; otherwise returns how to start the agent by hand. */
export async function restartService(configPath: string, host: ServiceHost = realHost): Promise<string> {
  const systemctl = host.which('systemctl');
  if (!systemctl || !host.systemdRuns()) {
    return (
      `systemd does not run here: start the agent with \`vigie-agent run --config ${configPath}\` ` +
      `(as the vigie-agent user, e.g. runuser -u vigie-agent -- vigie-agent run --config ${configPath})`
    );
  }
  const enable = await host.run(systemctl, ['enable', SERVICE_UNIT]);
  if (enable.code !== 0)
    throw new Error(`systemctl enable ${SERVICE_UNIT} failed: ${firstLine(enable.output)}`);
  const restart = await host.run(systemctl, ['restart', SERVICE_UNIT]);
  if (restart.code !== 0) {
    throw new Error(
      `systemctl restart ${SERVICE_UNIT} failed: ${firstLine(restart.output)} (see journalctl -u ${SERVICE_UNIT})`,
    );
  }
  return `${SERVICE_UNIT} enabled and (re)started`;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
