// Reversibility: a tenant exported by the real CLI from a SQLite collector, imported into a PostgreSQL one, exported
// again and imported into a fresh SQLite one answers every API call as the first one did, field by field
// (tickets and timelines, ledger, work logs, contracts, parity, reports, audit, agents), and its report computed
// again from the imported metrics has the same figures. The archive describes itself and holds no credential.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { monthPeriod } from '../../packages/collector/src/reports/period.js';
import { createAgentToken } from '../../packages/collector/src/store/credentials.js';
import { createEnrollment } from '../../packages/collector/src/store/enrollments.js';
import { freshPostgresUrl, startTestCollector, type TestCollector } from '../support/collector.js';
import { COLLECTOR_CLI, runCli } from '../support/process.js';
import { fillMarch } from '../support/tenant-scenario.js';

const run = promisify(execFile);
const NOW = '2026-04-01T06:00:00.000Z';

/** A config file for the CLI that opens the same stores as a test collector. */
async function configFor(t: TestCollector): Promise<string> {
  const file = join(t.dir, 'collector.yaml');
  await writeFile(
    file,
    stringify({ dataDir: t.dir, store: t.store, metrics: { kind: 'embedded' }, log: { level: 'error' } }),
  );
  return file;
}

/** Every API answer about the tenant, read with its client key (client reads are not audited: the answers stay put). */
async function answers(t: TestCollector, tenant: string): Promise<Record<string, unknown>> {
  const key = await t.clientKey(tenant);
  const get = async <T>(url: string): Promise<T> => {
    const r = await t.api<T>('GET', url, key);
    if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const out: Record<string, unknown> = {};
  const tickets = await get<Array<{ id: string }>>(`/api/tickets?tenant=${tenant}&limit=1000`);
  out.tickets = tickets;
  for (const tk of tickets) {
    out[`ticket ${tk.id}`] = await get(`/api/tickets/${tk.id}`);
    out[`worklogs ${tk.id}`] = await get(`/api/tickets/${tk.id}/worklogs`);
  }
  const contracts = await get<Array<{ id: string }>>('/api/contracts');
  out.contracts = contracts;
  for (const c of contracts) out[`ledger ${c.id}`] = await get(`/api/contracts/${c.id}/ledger`);
  out.marks = await get('/api/contract-tickets');
  out.worklogs = await get('/api/worklogs');
  const reports = await get<Array<{ id: string }>>('/api/reports');
  out.reports = reports;
  for (const r of reports) out[`report ${r.id}`] = await get(`/api/reports/${r.id}`);
  out.parity = await get('/api/applications/shop/parity');
  out.snapshots = await get('/api/hosts/web-01/snapshots');
  out.agents = await get('/api/agents');
  out.tenants = await get('/api/tenants');
  out.audit = (await get<Array<{ action: string }>>('/api/audit')).filter(
    (a) => !a.action.startsWith('tenant.'),
  );
  const report = await t.collector.reports.compute(tenant, monthPeriod('2026-03', 'Europe/Paris'), 'fr');
  out.recomputedReport = { ...report, generatedAt: 'same clock' };
  return out;
}

/** Field-by-field comparison, naming the first path that differs. */
function expectSame(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const key of Object.keys(expected)) expect(actual[key], key).toEqual(expected[key]);
}

/** No text column of any table contains the needles, and after a checkpoint no relation file does either. */
async function expectNoTrace(url: string, needles: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND data_type IN ('text', 'character varying')`,
    );
    for (const { table_name, column_name } of columns.rows) {
      for (const n of needles) {
        const r = await client.query(
          `SELECT count(*)::int AS n FROM "${table_name}" WHERE "${column_name}" LIKE $1`,
          [`%${n}%`],
        );
        expect(r.rows[0].n, `${n} in ${table_name}.${column_name}`).toBe(0);
      }
    }
    await client.query('CHECKPOINT');
    const dir = (await client.query<{ d: string }>(`SELECT current_setting('data_directory') AS d`)).rows[0]
      ?.d as string;
    const files = await client.query<{ path: string }>(
      `SELECT pg_relation_filepath(c.oid) AS path FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 'i', 't') AND pg_relation_filepath(c.oid) IS NOT NULL`,
    );
    expect(files.rows.length).toBeGreaterThan(10);
    for (const { path } of files.rows) {
      const bytes = await readFile(join(dir, path)).catch(() => Buffer.alloc(0));
      for (const n of needles) expect(bytes.includes(Buffer.from(n)), `${n} in ${path}`).toBe(false);
    }
  } finally {
    await client.end();
  }
}

describe('tenant export and import across dialects', () => {
  const cleanups: Array<() => Promise<void>> = [];
  let a: TestCollector;
  let work: string;
  let source: Record<string, unknown>;
  let secrets: string[];
  /** The first export, kept for the tampering test. */
  let archive = '';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vigie-reversibility-'));
    a = await startTestCollector({ dialect: 'sqlite' });
    cleanups.push(() => a.dispose());
    await fillMarch(a, 'acme');
    await fillMarch(a, 'globex');
    a.setNow(NOW);
    // Work logs, a top-up, reports, and credentials that must not leave.
    const ticket = (
      await a.api<Array<{ id: string; tenant: string }>>('GET', '/api/tickets?tenant=acme', a.providerKey)
    ).body[0] as { id: string };
    await a.api('POST', `/api/tickets/${ticket.id}/worklogs`, a.providerKey, {
      person: 'alice',
      minutes: 90,
      description: 'root cause',
      workedAt: '2026-03-31T10:00:00Z',
    });
    const contract = (await a.api<Array<{ id: string }>>('GET', '/api/contracts?tenant=acme', a.providerKey))
      .body[0] as { id: string };
    await a.api('POST', `/api/contracts/${contract.id}/top-ups`, a.providerKey, {
      units: 20,
      reference: 'PO-7',
    });
    await a.collector.reports.monthlyPass();
    const token = await createAgentToken(a.collector.store.db, {
      id: a.newId(),
      tenantId: 'acme',
      host: 'web-01',
      now: a.now(),
    });
    const enrollment = await createEnrollment(a.collector.store.db, {
      id: a.newId(),
      tenantId: 'acme',
      host: 'db-02',
      ttlMs: 86_400_000,
      now: a.now(),
    });
    const key = await a.clientKey('acme');
    const hashes = await a.collector.store.db
      .selectFrom('api_keys')
      .select('key_hash')
      .where('tenant_id', '=', 'acme')
      .execute();
    const tokenHashes = await a.collector.store.db
      .selectFrom('agent_tokens')
      .select('token_hash')
      .where('tenant_id', '=', 'acme')
      .execute();
    const enrollHashes = await a.collector.store.db
      .selectFrom('enrollments')
      .select('token_hash')
      .where('tenant_id', '=', 'acme')
      .execute();
    secrets = [
      key,
      token.token,
      enrollment.token,
      ...hashes.map((h) => h.key_hash),
      ...tokenHashes.map((h) => h.token_hash),
      ...enrollHashes.map((h) => h.token_hash),
    ];
    // The provider reads a report and the parity: audited, and the audit travels with the tenant.
    await a.api('GET', '/api/applications/shop/parity?tenant=acme', a.providerKey);
    source = await answers(a, 'acme');
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await rm(work, { recursive: true, force: true });
  });

  it('answers the same from PostgreSQL, then from SQLite again, and the archive holds no credential', async () => {
    const first = join(work, 'acme-a.tar.gz');
    archive = first;
    const out = await runCli(COLLECTOR_CLI, [
      'tenant',
      'export',
      'acme',
      '--out',
      first,
      '--config',
      await configFor(a),
    ]);
    expect(out).toMatch(/exported tenant acme to .*acme-a\.tar\.gz/);
    expect(out).toMatch(/metricPoints: \d+/);

    // Self-describing: a manifest with every part's size and SHA-256, a README, PDFs of the reports.
    const unpacked = join(work, 'unpacked');
    await run('mkdir', ['-p', unpacked]);
    await run('tar', ['xzf', first, '-C', unpacked]);
    const manifest = JSON.parse(await readFile(join(unpacked, 'manifest.json'), 'utf8')) as {
      formatVersion: number;
      counts: Record<string, number>;
      parts: Array<{ path: string; sha256: string; bytes: number; kind: string }>;
      excluded: Record<string, string>;
    };
    expect(manifest.formatVersion).toBe(1);
    for (const part of manifest.parts) {
      const { stdout } = await run('sha256sum', [join(unpacked, part.path)]);
      expect(stdout.split(' ')[0], part.path).toBe(part.sha256);
    }
    expect(manifest.parts.filter((p) => p.kind === 'document').map((p) => p.path)).toEqual([
      expect.stringMatching(/^reports\/2026-03-.*\.pdf$/),
      'parity/shop.md',
    ]);
    expect(await readFile(join(unpacked, 'parity/shop.md'), 'utf8')).toMatch(
      /# Parity report: shop[\s\S]*runtime\.postgresql/,
    );
    for (const table of [
      'tickets',
      'ticket_events',
      'contracts',
      'contract_ledger',
      'work_logs',
      'check_states',
      'agents',
      'drift_snapshots',
      'client_reports',
      'audit_log',
    ])
      expect(manifest.counts[table], table).toBeGreaterThan(0);
    expect(manifest.counts.metricPoints).toBeGreaterThan(50);
    expect(Object.keys(manifest.excluded).sort()).toEqual([
      'agent_tokens',
      'api_keys',
      'enrollments',
      'seen_results',
    ]);
    expect(await readFile(join(unpacked, 'README.txt'), 'utf8')).toContain('metrics/points.lp');
    const everything = (
      await Promise.all(
        (
          await readdir(unpacked, { recursive: true })
        ).map((f) => readFile(join(unpacked, f)).catch(() => Buffer.alloc(0))),
      )
    )
      .map((b) => b.toString('latin1'))
      .join('\n');
    for (const s of secrets) expect(everything.includes(s), 'a credential in the archive').toBe(false);
    expect(everything).not.toContain('globex');

    // Into PostgreSQL.
    const pgdb = await freshPostgresUrl();
    cleanups.push(() => pgdb.drop());
    const bDir = await mkdtemp(join(tmpdir(), 'vigie-b-'));
    const bConfig = join(bDir, 'collector.yaml');
    await writeFile(
      bConfig,
      stringify({ dataDir: bDir, store: { kind: 'postgres', url: pgdb.url }, metrics: { kind: 'embedded' } }),
    );
    const imported = await runCli(COLLECTOR_CLI, ['tenant', 'import', first, '--config', bConfig]);
    expect(imported).toMatch(/imported tenant acme \(ACME SA\)/);
    await expect(runCli(COLLECTOR_CLI, ['tenant', 'import', first, '--config', bConfig])).rejects.toThrow(
      /tenant "acme" already exists/,
    );
    const b = await startTestCollector({ dialect: 'postgres', storeAt: pgdb.url, dir: bDir, start: NOW });
    cleanups.push(() => rm(bDir, { recursive: true, force: true }));
    expectSame(await answers(b, 'acme'), source);
    const audit = (
      await b.api<Array<{ action: string; actor: string }>>('GET', '/api/audit', await b.clientKey('acme'))
    ).body;
    expect(audit.map((e) => e.action)).toEqual(
      expect.arrayContaining(['tenant.export', 'tenant.import', 'GET /api/applications/:app/parity']),
    );

    // And back into SQLite, from the PostgreSQL copy.
    const second = join(work, 'acme-b.tar.gz');
    await runCli(COLLECTOR_CLI, ['tenant', 'export', 'acme', '--out', second, '--config', bConfig]);
    const c = await startTestCollector({ dialect: 'sqlite', start: NOW });
    cleanups.push(() => c.dispose());
    await runCli(COLLECTOR_CLI, ['tenant', 'import', second, '--config', await configFor(c)]);
    expectSame(await answers(c, 'acme'), source);

    // Erasure on PostgreSQL: no row mentions the tenant, and no table or index file holds a byte of it.
    await b.collector.close();
    const purged = await runCli(COLLECTOR_CLI, ['tenant', 'purge', 'acme', '--yes', '--config', bConfig]);
    expect(purged).toMatch(/purged tenant acme:[\s\S]*tickets: \d+ rows/);
    await expectNoTrace(pgdb.url, ['acme', 'ACME SA']);
  });

  it('refuses an archive whose part does not match its manifest, naming the part', async () => {
    const file = join(work, 'acme-tampered.tar.gz');
    const dir = join(work, 'tampered');
    await run('mkdir', ['-p', dir]);
    await run('tar', ['xzf', archive, '-C', dir]);
    const ledger = join(dir, 'tables/contract_ledger.jsonl');
    await writeFile(ledger, (await readFile(ledger, 'utf8')).replace('"units":20', '"units":99'));
    await run('tar', ['czf', file, '-C', dir, '.']);
    const c = await startTestCollector({ dialect: 'sqlite', start: NOW });
    cleanups.push(() => c.dispose());
    await expect(
      runCli(COLLECTOR_CLI, ['tenant', 'import', file, '--config', await configFor(c)]),
    ).rejects.toThrow(
      /part tables\/contract_ledger\.jsonl has SHA-256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/,
    );
    expect(await c.collector.store.db.selectFrom('tenants').selectAll().execute()).toEqual([]);
  });
});
