// The Grafana dashboards of dashboards/grafana/, checked twice. First their structure: unique panel ids, the
// Vigie InfluxDB data source, raw InfluxQL only, the tenant/application/environment/host variables chained and
// used by every query, no name written in a query, fields that the checks really report. Then end to end: a
// real collector and two real agents (production and iso-production of one application) fill the test
// InfluxDB 1.x, a ticket is acknowledged and resolved through the API, tickets breach a seconds-long contract,
// one agent stops and falls silent; then every panel query runs as Grafana would send it, and each must return
// a value. A panel on a measurement nobody writes fails, naming the dashboard, the panel and the query.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type FleetFill, startFleet, type Ticket } from '../support/dashboards-fill.js';
import {
  DATASOURCE_UID,
  type DashboardFile,
  type DashboardQuery,
  dashboardQueries,
  hasValue,
  IDENTITY_VARIABLES,
  knownMeasurements,
  loadDashboards,
  maxValue,
  type QueryOutcome,
  runInfluxQL,
  structureProblems,
  substitute,
  type VariableValues,
} from '../support/dashboards-grafana.js';
import { testServers } from '../support/env.js';
import { ROOT } from '../support/process.js';
import { waitFor } from '../support/wait.js';

const dashboards = loadDashboards();
const byFile = dashboards.map((d): [string, DashboardFile] => [d.file, d]);
const EXPECTED = [
  'backups.json',
  'fleet-overview.json',
  'host-detail.json',
  'iso-production-parity.json',
  'security-posture.json',
  'tickets-sla.json',
];
/** How long the dashboards' queries are polled, at most, once the fleet has run (the test stays under 90 s). */
const POLL_MS = 35_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Grafana dashboards: structure', () => {
  const known = knownMeasurements();

  it('are the six Vigie dashboards, each with its own uid and title', () => {
    expect(dashboards.map((d) => d.file)).toEqual(EXPECTED);
    expect(new Set(dashboards.map((d) => d.dashboard.uid)).size).toBe(dashboards.length);
    expect(new Set(dashboards.map((d) => d.dashboard.title)).size).toBe(dashboards.length);
  });

  it('know the measurements of every check from their READMEs', () => {
    expect(known.get('filesystem')).toEqual(
      new Set(['used_percent', 'used_bytes', 'size_bytes', 'free_bytes', 'inodes_used_percent']),
    );
    expect(known.get('tls_certificate_endpoint')?.has('days_left')).toBe(true);
    expect(known.get('package_updates')).toEqual(new Set(['updates', 'security_updates']));
  });

  it.each(byFile)('%s follows the dashboard rules', (_file, { dashboard }) => {
    expect(structureProblems(dashboard, known)).toEqual([]);
  });

  it('the rules catch a hard-coded name, an undefined variable, a missing filter, a misspelt field, a reused id, another data source and a built query', () => {
    const base = dashboards.find((d) => d.file === 'host-detail.json')?.dashboard;
    if (!base) throw new Error('host-detail.json is missing');
    const broken = structuredClone(base);
    const [first, second] = broken.panels.filter((p) => p.targets?.length);
    const target = first?.targets?.[0];
    if (!first || !second || !target) throw new Error('no two panels with a query');
    target.query = `SELECT mean("used_prcent") FROM "filesystem" WHERE $timeFilter AND "tenant" = 'acme' AND "host" =~ /^$hostname$/`;
    second.id = first.id;
    second.datasource = { type: 'influxdb', uid: 'other' };
    const other = second.targets?.[0];
    if (other) other.rawQuery = false;
    const problems = structureProblems(broken, known).join('\n');
    expect(problems).toContain(`compares "tenant" with = 'acme'`);
    expect(problems).toContain('uses $hostname, which is not defined');
    expect(problems).toContain('does not filter "application" =~ /^$application$/');
    expect(problems).toContain('selects "used_prcent"');
    expect(problems).toContain(`panel id ${first.id} is used 2 times`);
    expect(problems).toContain(
      `panel "${second.title}" (id ${first.id}) does not use data source vigie-influxdb`,
    );
    expect(problems).toContain('is not a raw InfluxQL query');
  });

  it('are provisioned: the InfluxDB data source (InfluxQL, uid vigie-influxdb, URL from the environment) and a file provider', () => {
    const ds = parse(readFileSync(join(ROOT, 'dashboards/provisioning/datasources/vigie.yaml'), 'utf8')) as {
      apiVersion: number;
      datasources: Array<{
        uid: string;
        type: string;
        url: string;
        jsonData?: { version?: string; dbName?: string };
      }>;
    };
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources).toHaveLength(1);
    const [source] = ds.datasources;
    expect(source).toMatchObject({
      uid: DATASOURCE_UID,
      type: 'influxdb',
      jsonData: { version: 'InfluxQL' },
    });
    expect(source?.url).toMatch(/^\$\{?[A-Z_]+\}?$/);
    expect(source?.jsonData?.dbName).toBeTruthy();
    const provider = parse(
      readFileSync(join(ROOT, 'dashboards/provisioning/dashboards/vigie.yaml'), 'utf8'),
    ) as {
      apiVersion: number;
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(provider.apiVersion).toBe(1);
    expect(provider.providers[0]?.type).toBe('file');
    expect(provider.providers[0]?.options.path).toMatch(/dashboards\/grafana\/?$/);
  });
});

describe('Grafana dashboards: every panel shows data from a real collector and real agents', () => {
  let fleet: FleetFill;
  let values: VariableValues;
  /** The last outcome of every query, by dashboard file and query place. */
  const outcomes = new Map<string, QueryOutcome>();
  const key = (file: string, q: DashboardQuery) => `${file}\u0000${q.where}`;
  let measurementsInInflux: string[] = [];
  const influx = () => {
    const { influxV1Url, influxV1Db } = testServers();
    return { url: influxV1Url, database: influxV1Db };
  };
  const run = (query: string) => runInfluxQL(influx().url, influx().database, substitute(query, values));
  /** Panels whose values must also be right, not only present, once the fleet has run. */
  const expectations: Array<{
    file: string;
    panel: string;
    why: string;
    holds: (o: QueryOutcome) => boolean;
  }> = [
    {
      file: 'fleet-overview.json',
      panel: 'Agents silent',
      why: 'the stopped iso-production agent counts as silent',
      holds: (o) => (maxValue(o) ?? 0) >= 1,
    },
    {
      file: 'tickets-sla.json',
      panel: 'Breached',
      why: 'tickets breach the 2 s response target',
      holds: (o) => (maxValue(o) ?? 0) >= 1,
    },
    {
      file: 'fleet-overview.json',
      panel: 'Worst status per host',
      why: 'both hosts have a critical check, and critical outranks the unknown one of the production host',
      holds: (o) => o.series.length === 2 && o.series.every((s) => maxValue({ series: [s] }) === 4),
    },
  ];
  const expectationQuery = (file: string, panel: string) => {
    const d = dashboards.find((x) => x.file === file);
    const q = d && dashboardQueries(d.dashboard).find((x) => x.panelTitle === panel);
    if (!d || !q) throw new Error(`${file} has no panel "${panel}"`);
    return { d, q };
  };

  afterAll(async () => {
    await fleet?.stop();
  });

  beforeAll(async () => {
    fleet = await startFleet(influx());
    values = {
      tenant: [fleet.tenant],
      application: [fleet.application],
      environment: ['production', 'iso-production'],
      host: [fleet.production.host, fleet.iso.host],
    };
    const failWith = (err: Error): never => {
      throw new Error(`${err.message}\n${fleet.diagnostics()}`);
    };

    // Someone works a ticket: acknowledges the stale-dump ticket of the production host, then resolves it.
    const ticket = await waitFor(
      'the stale-backup ticket on the production host',
      async () =>
        (await fleet.api<Ticket[]>('GET', `/api/tickets?host=${fleet.production.host}&status=open`)).find(
          (t) => t.checkId === 'db-dump-age',
        ),
      { timeoutMs: 30_000 },
    ).catch(failWith);
    await fleet.api('POST', `/api/tickets/${ticket.id}/acknowledge`, { comment: 'looking at the dump job' });
    await sleep(300);
    await fleet.api('POST', `/api/tickets/${ticket.id}/resolve`, { comment: 'dump job restarted' });

    // The iso-production agent runs every check a few times (rates need two runs), then stops: it falls silent.
    await waitFor(
      'every check of the iso-production host to report (the 1 s ones three times)',
      async () => {
        const r = await runInfluxQL(
          influx().url,
          influx().database,
          `SELECT count("status_code") FROM "vigie_check" WHERE "host" = '${fleet.iso.host}' GROUP BY "check"`,
        );
        const counts = new Map(r.series.map((s) => [s.tags?.check, Number(s.values[0]?.[1])]));
        const slow = ['updates', 'fingerprint'];
        return counts.size >= 20 && [...counts].every(([c, n]) => n >= (slow.includes(c ?? '') ? 1 : 3));
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    ).catch(failWith);
    await fleet.iso.agent.stop();

    // Poll every query until each returns a value (and the expectations hold), or the time is up.
    const all = dashboards.flatMap((d) => dashboardQueries(d.dashboard).map((q) => ({ file: d.file, q })));
    const pending = new Map(all.map((x) => [key(x.file, x.q), x]));
    const deadline = Date.now() + POLL_MS;
    for (;;) {
      await Promise.all(
        [...pending].map(async ([k, { q }]) => {
          const outcome = await run(q.query);
          outcomes.set(k, outcome);
          if (hasValue(outcome)) pending.delete(k);
        }),
      );
      const met = await Promise.all(
        expectations.map(async (e) => {
          const { q } = expectationQuery(e.file, e.panel);
          const outcome = await run(q.query);
          outcomes.set(key(e.file, q), outcome);
          return e.holds(outcome);
        }),
      );
      if ((pending.size === 0 && met.every(Boolean)) || Date.now() > deadline) break;
      await sleep(1000);
    }
    const shown = await runInfluxQL(influx().url, influx().database, 'SHOW MEASUREMENTS');
    measurementsInInflux = shown.series.flatMap((s) => s.values.map((v) => String(v[0])));
  }, 150_000);

  it('the template variables offer the tenant, application, environments and hosts the agents sent', async () => {
    const vars = dashboards[0]?.dashboard.templating?.list ?? [];
    for (const name of IDENTITY_VARIABLES) {
      const v = vars.find((x) => x.name === name);
      const r = await run(v?.query ?? '');
      const offered = r.series.flatMap((s) => s.values.map((row) => String(row[1])));
      expect(offered, `variable ${name}`).toEqual(expect.arrayContaining(values[name]));
    }
  });

  it.each(byFile)('%s: every panel query returns data', (file, { dashboard }) => {
    const failures = dashboardQueries(dashboard).flatMap((q) => {
      const outcome = outcomes.get(key(file, q));
      if (outcome && hasValue(outcome)) return [];
      const missing = [...q.query.matchAll(/\bFROM\s+"([^"]+)"/g)]
        .map((m) => m[1] as string)
        .filter((m) => !measurementsInInflux.includes(m));
      const why = outcome?.error
        ? `InfluxDB error: ${outcome.error}`
        : missing.length > 0
          ? `measurement ${missing.join(', ')} does not exist in InfluxDB (nothing writes it yet)`
          : 'no series with a value';
      return [`${dashboard.title} / ${q.where}: ${why}\n    ${substitute(q.query, values)}`];
    });
    expect(failures, `${failures.length} panel queries of ${dashboard.title} returned nothing`).toEqual([]);
  });

  it.each(expectations.map((e): [string, (typeof expectations)[number]] => [`${e.file} "${e.panel}"`, e]))(
    '%s shows the right value',
    (_name, { file, panel, why, holds }) => {
      const { q } = expectationQuery(file, panel);
      const outcome = outcomes.get(key(file, q)) ?? { series: [] };
      expect(
        holds(outcome),
        `${why}\n    ${substitute(q.query, values)}\n    ${JSON.stringify(outcome).slice(0, 1500)}`,
      ).toBe(true);
    },
  );
});
