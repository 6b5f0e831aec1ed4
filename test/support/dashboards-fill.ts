// Fills InfluxDB 1.x the way a real fleet does, for the dashboards test: a real collector (influx-v1 sink, a
// 1 s ticket sweep, a contract with second-long SLA targets) and two real agents of one application, one in
// production and one in iso-production, each running checks of every category on a 1 s schedule against
// files made here (a stale and shrunken backup, a tar archive with its checksum, a certificate about to expire
// served by a local TLS endpoint, an auth log with failed logins, a reboot flag, a world-writable file, an
// sshd config that breaks the policy) and a Nagios plugin that answers UNKNOWN. The iso-production restore
// test compares with a config changed since the backup, so one restore test passes and one fails.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureBinary, isRoot } from './packages.js';
import { freePort } from './ports.js';
import { AGENT_CLI, COLLECTOR_CLI, runCli, type Spawned, spawnCli } from './process.js';
import { waitFor } from './wait.js';

const exec = promisify(execFile);

export interface Ticket {
  id: string;
  host: string;
  checkId: string;
  status: string;
  priority: string;
}

export interface FleetFill {
  tenant: string;
  application: string;
  production: { host: string; agent: Spawned };
  iso: { host: string; agent: Spawned };
  collector: Spawned;
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** The last lines each process printed, for failure messages. */
  diagnostics(): string;
  stop(): Promise<void>;
}

const CERT_NAME = 'vigie-dashboards.test';

/** The contract of the brief: every target a few seconds long, so tickets become at risk, then breached. */
export const TINY_CONTRACT = {
  calendar: { kind: '24x7' },
  response: { P1: '2s', P2: '2s', P3: '2s', P4: '2s' },
  resolution: { P1: '4s', P2: '4s', P3: '4s', P4: '4s' },
};

interface HostFiles {
  backups: string;
  live: string;
  /** The iso-production copy of the live config, changed since the backup: its restore test fails. */
  drifted: string;
  cert: string;
  authLog: string;
  rebootFlag: string;
  worldWritable: string;
  sshdConfig: string;
}

async function makeFiles(dir: string): Promise<HostFiles & { key: string }> {
  const backups = join(dir, 'backups');
  const live = join(dir, 'live');
  mkdirSync(backups);
  mkdirSync(live);
  // Two dumps: the newest is 2 days old (maxAge 1d: critical) and half the size of the previous one.
  const ago = (days: number) => new Date(Date.now() - days * 86_400_000);
  writeFileSync(join(backups, 'db-1.sql.gz'), 'x'.repeat(2000));
  utimesSync(join(backups, 'db-1.sql.gz'), ago(3), ago(3));
  writeFileSync(join(backups, 'db-2.sql.gz'), 'y'.repeat(1000));
  utimesSync(join(backups, 'db-2.sql.gz'), ago(2), ago(2));
  // An archive of the live config, with its sha256sum sidecar: the restore test and the integrity check pass.
  writeFileSync(join(live, 'app.conf'), 'listen 8080\nworkers 4\n');
  const drifted = join(live, 'app-iso.conf');
  writeFileSync(drifted, 'listen 8080\nworkers 2\n');
  const archive = join(backups, 'etc-1.tar.gz');
  await exec('tar', ['-C', live, '-czf', archive, './app.conf']);
  const sum = createHash('sha256').update(readFileSync(archive)).digest('hex');
  writeFileSync(`${archive}.sha256`, `${sum}  etc-1.tar.gz\n`);
  // A certificate that expires in 5 days (critical at 7).
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await exec('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '5',
    '-subj',
    `/CN=${CERT_NAME}`,
    '-addext',
    `subjectAltName=DNS:${CERT_NAME}`,
  ]);
  // Failed ssh logins, as sshd logs them.
  const authLog = join(dir, 'auth.log');
  writeFileSync(
    authLog,
    [1, 2, 3]
      .map(
        (i) =>
          `Mar 10 10:00:0${i} web sshd[9${i}]: Failed password for root from 192.0.2.${i} port 4022${i} ssh2`,
      )
      .join('\n')
      .concat('\n'),
  );
  // A reboot asked for by a package, as Debian's hook writes it.
  const rebootFlag = join(dir, 'reboot-required');
  writeFileSync(rebootFlag, '');
  writeFileSync(`${rebootFlag}.pkgs`, 'libc6\n');
  // A world-writable file in a scanned folder.
  const worldWritable = join(dir, 'srv');
  mkdirSync(worldWritable);
  writeFileSync(join(worldWritable, 'upload.sh'), '#!/bin/sh\n');
  chmodSync(join(worldWritable, 'upload.sh'), 0o666);
  // An sshd config with its own host key, allowing passwords (a policy violation).
  const keygen = await ensureBinary('ssh-keygen', 'openssh-client');
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  await exec(keygen, ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  const sshdConfig = join(dir, 'sshd_config');
  writeFileSync(
    sshdConfig,
    `HostKey ${hostKey}\nPasswordAuthentication yes\nX11Forwarding no\nMaxAuthTries 3\n`,
  );
  return { backups, live, drifted, cert, key, authLog, rebootFlag, worldWritable, sshdConfig };
}

function checksYaml(
  f: HostFiles,
  o: { tlsPort: number; sshd: string; restoreCompareWith: string; extra: string },
): string {
  const every = '"* * * * * *"';
  return `checks:
  - { id: fs, type: filesystem, schedule: ${every} }
  - { id: cpu, type: cpu, schedule: ${every} }
  - { id: memory, type: memory, schedule: ${every} }
  - { id: disks, type: disk-io, schedule: ${every} }
  - { id: net, type: network, schedule: ${every} }
  - { id: db-dump-age, type: backup-freshness, schedule: ${every}, path: "${f.backups}/db-*.sql.gz", maxAge: 1d }
  - { id: db-dump-size, type: backup-size, schedule: ${every}, path: "${f.backups}/db-*.sql.gz" }
  - { id: etc-integrity, type: backup-integrity, schedule: ${every}, path: "${f.backups}/etc-*.tar.gz" }
  - id: etc-restore
    type: restore-test
    schedule: ${every}
    source: { kind: tar, path: "${f.backups}/etc-*.tar.gz", member: ./app.conf, compareWith: "${o.restoreCompareWith}" }
  - { id: shop-cert, type: tls-certificate-file, schedule: ${every}, path: "${f.cert}" }
  - id: shop-https
    type: tls-certificate-endpoint
    schedule: ${every}
    host: 127.0.0.1
    port: ${o.tlsPort}
    servername: ${CERT_NAME}
    caFile: "${f.cert}"
  - { id: updates, type: package-updates, schedule: "*/10 * * * * *", timeout: 20s }
  - { id: reboot, type: reboot-required, schedule: ${every}, flagFile: "${f.rebootFlag}", kernelCheck: false }
  - { id: ports, type: listening-ports, schedule: ${every}, allow: [22/tcp] }
  - { id: accounts, type: accounts, schedule: ${every} }
  - { id: sshd, type: sshd-config, schedule: ${every}, binary: "${o.sshd}", extraArgs: [-f, "${f.sshdConfig}"] }
  - { id: perms, type: file-permissions, schedule: ${every}, worldWritable: { paths: ["${f.worldWritable}"] } }
  - { id: firewall, type: firewall, schedule: ${every} }
  - { id: ssh-failures, type: failed-logins, schedule: ${every}, source: file, logFiles: ["${f.authLog}"], countExisting: true }
  - { id: fingerprint, type: fingerprint, schedule: "*/5 * * * * *", timeout: 20s }
${o.extra}`;
}

/** sshd -T needs its privilege separation folder, which only a running ssh service creates. */
function ensurePrivsepDir(): () => void {
  if (existsSync('/run/sshd') || !isRoot()) return () => undefined;
  mkdirSync('/run/sshd', { mode: 0o755 });
  return () => {
    try {
      rmdirSync('/run/sshd');
    } catch {
      // another test may still use it, or removed it already
    }
  };
}

export async function startFleet(influx: { url: string; database: string }): Promise<FleetFill> {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-dashboards-'));
  const suffix = Date.now().toString(36);
  const tenant = `dash-${suffix}`;
  const application = 'billing';
  const prodHost = `dash-prod-${suffix}`;
  const isoHost = `dash-iso-${suffix}`;
  const running: Spawned[] = [];
  const cleanups: Array<() => void> = [() => rmSync(dir, { recursive: true, force: true })];
  let tlsServer: Server | undefined;
  const stop = async () => {
    await Promise.all(running.map((p) => p.stop()));
    if (tlsServer) await new Promise<void>((r) => tlsServer?.close(() => r()));
    for (const c of cleanups.reverse()) c();
  };
  try {
    const sshd = await ensureBinary('sshd', 'openssh-server');
    const checkDummy = await ensureBinary('/usr/lib/nagios/plugins/check_dummy', 'monitoring-plugins-basic');
    cleanups.push(ensurePrivsepDir());
    const files = await makeFiles(dir);

    // A TLS endpoint serving the certificate.
    const tlsPort = await freePort();
    const server = createServer(
      { key: readFileSync(files.key), cert: readFileSync(files.cert) },
      (_req, res) => res.end('ok'),
    );
    tlsServer = server;
    await new Promise<void>((r) => server.listen(tlsPort, '127.0.0.1', r));

    const port = await freePort();
    const config = join(dir, 'collector.yaml');
    writeFileSync(
      config,
      `listen: { host: 127.0.0.1, port: ${port} }
dataDir: ${join(dir, 'data')}
metrics: { kind: influx-v1, url: "${influx.url}", database: ${influx.database}, timeout: 5s }
ingest: { heartbeat: 2s }
tickets: { sweepInterval: 1s, confirm: { failures: 1, recoveries: 1 }, silentAgentAfter: 3s }
# A forecast the fleet can make in seconds, for vigie_forecast: the dump's age rises a second a second toward a
# week, beyond a one-day horizon (no ticket). Only this rule: the pass runs every second.
forecasts:
  interval: 1s
  defaults: false
  rules:
    - { id: dump-age, type: backup-freshness, metric: age_seconds, limit: 604800, window: 1m, horizon: 1d, minPoints: 3, minSpan: 2s }
`,
    );
    const cli = (args: string[]) => runCli(COLLECTOR_CLI, [...args, '--config', config]);
    await cli(['tenants', 'add', tenant, '--name', 'Dashboards test']);
    const tokenFor = async (host: string) =>
      /token:\s+(\S+)/.exec(
        await cli(['tokens', 'create', '--tenant', tenant, '--host', host]),
      )?.[1] as string;
    const prodToken = await tokenFor(prodHost);
    const isoToken = await tokenFor(isoHost);
    const apiKey = /key:\s+(\S+)/.exec(await cli(['keys', 'create', '--name', 'noc']))?.[1] as string;

    const collector = spawnCli(COLLECTOR_CLI, ['serve', '--config', config]);
    running.push(collector);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the collector to answer', async () => (await fetch(`${base}/healthz`)).ok || undefined);

    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    };
    await api('PUT', `/api/tenants/${tenant}/contract`, TINY_CONTRACT);

    const startAgent = (
      host: string,
      environment: string,
      token: string,
      o: { restoreCompareWith: string; extra: string },
    ) => {
      const agentConfig = join(dir, `agent-${environment}.yaml`);
      writeFileSync(
        agentConfig,
        `collector: { url: "ws://127.0.0.1:${port}/ingest", token: ${token} }
host: { name: ${host}, environment: ${environment}, application: ${application} }
delivery: { flushInterval: 200ms, reconnectMin: 200ms, reconnectMax: 1s, outboxDir: ${join(dir, `outbox-${environment}`)} }
${checksYaml(files, { tlsPort, sshd, ...o })}`,
      );
      const agent = spawnCli(AGENT_CLI, ['run', '--config', agentConfig]);
      running.push(agent);
      return agent;
    };
    // The production host also runs a wrapped Nagios plugin that cannot tell (UNKNOWN).
    const unknown = `  - { id: legacy-probe, type: nagios, schedule: "* * * * * *", command: "${checkDummy}", args: ["3", "probe cannot tell"] }\n`;
    const production = {
      host: prodHost,
      agent: startAgent(prodHost, 'production', prodToken, {
        restoreCompareWith: join(files.live, 'app.conf'),
        extra: unknown,
      }),
    };
    const iso = {
      host: isoHost,
      agent: startAgent(isoHost, 'iso-production', isoToken, {
        restoreCompareWith: files.drifted,
        extra: '',
      }),
    };

    const tail = (name: string, p: Spawned) => `--- ${name} ---\n${p.output().slice(-2500)}`;
    return {
      tenant,
      application,
      production,
      iso,
      collector,
      api,
      diagnostics: () =>
        [
          tail('collector', collector),
          tail('production agent', production.agent),
          tail('iso agent', iso.agent),
        ].join('\n'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
