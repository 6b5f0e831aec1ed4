// vitest globalSetup of the `integration` project: starts InfluxDB 1.x, VictoriaMetrics and PostgreSQL once,
// in parallel, and hands their URLs to the tests (environment variables, inherited by vitest's workers, and
// `provide`; read them with testServers() from env.ts). The returned teardown destroys the servers.
import type { TestProject } from 'vitest/node';
import { TEST_SERVER_ENV, type TestServers } from './env.js';
import { type RunningServer, startInfluxV1, startPostgres, startVictoriaMetrics } from './servers.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const [influx, vm, postgres] = await Promise.allSettled([
    startInfluxV1(),
    startVictoriaMetrics(),
    startPostgres(),
  ]);
  const running = [influx, vm, postgres].flatMap((r): RunningServer[] =>
    r.status === 'fulfilled' ? [r.value] : [],
  );
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(running.map((server) => server.destroy()));
  };
  if (influx.status === 'rejected' || vm.status === 'rejected' || postgres.status === 'rejected') {
    await teardown();
    const errors = [influx, vm, postgres].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    throw new AggregateError(
      errors,
      `could not start the integration test servers:\n${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n\n')}`,
    );
  }

  const servers: TestServers = {
    influxV1Url: influx.value.url,
    influxV1Db: influx.value.database,
    vmUrl: vm.value.url,
    pgUrl: postgres.value.url,
  };
  for (const key of Object.keys(TEST_SERVER_ENV) as Array<keyof TestServers>) {
    process.env[TEST_SERVER_ENV[key]] = servers[key];
  }
  project.provide('vigieTestServers', servers);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `[vigie test servers] started in ${seconds} s: InfluxDB 1.x ${servers.influxV1Url} (db ${servers.influxV1Db}), ` +
      `VictoriaMetrics ${servers.vmUrl}, PostgreSQL ${servers.pgUrl}`,
  );
  return teardown;
}
