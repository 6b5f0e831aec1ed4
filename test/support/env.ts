// How integration tests find the servers started by global-setup.ts.
import { inject } from 'vitest';

/** URLs of the servers started once for the whole integration run. */
export interface TestServers {
  /** InfluxDB 1.x, e.g. `http://127.0.0.1:40123`. */
  influxV1Url: string;
  /** The InfluxDB 1.x database created for the tests: `vigie`. */
  influxV1Db: string;
  /** VictoriaMetrics single node, e.g. `http://127.0.0.1:40125`. */
  vmUrl: string;
  /** PostgreSQL, e.g. `postgres://postgres@127.0.0.1:40127/vigie_test`. */
  pgUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    vigieTestServers: TestServers;
  }
}

/** The environment variables global-setup.ts sets (vitest's worker processes inherit them). */
export const TEST_SERVER_ENV = {
  influxV1Url: 'VIGIE_TEST_INFLUX_V1_URL',
  influxV1Db: 'VIGIE_TEST_INFLUX_V1_DB',
  vmUrl: 'VIGIE_TEST_VM_URL',
  pgUrl: 'VIGIE_TEST_PG_URL',
} as const satisfies Record<keyof TestServers, string>;

function fromEnv(): TestServers | undefined {
  const influxV1Url = process.env[TEST_SERVER_ENV.influxV1Url];
  const influxV1Db = process.env[TEST_SERVER_ENV.influxV1Db];
  const vmUrl = process.env[TEST_SERVER_ENV.vmUrl];
  const pgUrl = process.env[TEST_SERVER_ENV.pgUrl];
  if (!influxV1Url || !influxV1Db || !vmUrl || !pgUrl) return undefined;
  return { influxV1Url, influxV1Db, vmUrl, pgUrl };
}

/**
 * The servers' URLs, from the environment variables or else from vitest's `inject('vigieTestServers')`.
 * Throws when neither has them (the test is not running in the `integration` project).
 */
export function testServers(): TestServers {
  const servers = fromEnv() ?? inject('vigieTestServers');
  if (!servers) {
    throw new Error(
      'test servers unknown: run this test in the vitest "integration" project (test/support/global-setup.ts)',
    );
  }
  return servers;
}
