// The `tenant export | import | purge` commands of vigie-collector: reversibility at the end of a contract, and
// erasure. Each prints what it did; export and import are written to the tenant's audit log.
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { createIdGenerator } from '@vigie/shared';
import { recordAudit } from '../audit/log.js';
import type { CollectorConfig } from '../config/load.js';
import { collectorMigrations } from '../schema-migrations.js';
import { createSink } from '../sinks/create.js';
import { openHistory } from '../sinks/history.js';
import { openStore } from '../store/open.js';
import { getTenant } from '../store/tenants.js';
import { exportTenant } from './export.js';
import { importTenant } from './import.js';
import { purgeTenant } from './purge.js';
import { anyDb, tenantTables } from './tables.js';

const newId = createIdGenerator();

export class TenantCommandError extends Error {}

function actor(): string {
  return `cli:${userInfo().username}@${hostname()}`;
}

const spoolOf = (config: CollectorConfig) =>
  config.metrics.kind === 'embedded' ? undefined : config.spool.path;

export async function tenantCommand(
  sub: string | undefined,
  arg: string | undefined,
  opts: { out?: string | undefined; yes?: boolean | undefined },
  config: CollectorConfig,
  print: (line: string) => void,
): Promise<number> {
  const store = await openStore(config.store, collectorMigrations);
  const history = openHistory(config.metrics);
  try {
    const now = new Date();
    switch (sub) {
      case 'export': {
        if (!arg) throw new TenantCommandError('tenant export needs a tenant: tenant export ID --out FILE');
        if (!opts.out) throw new TenantCommandError('tenant export needs --out FILE');
        if (!(await getTenant(store.db, arg))) throw new TenantCommandError(`no tenant "${arg}"`);
        const out = resolve(opts.out);
        // Recorded first, so that the archive carries the record of its own making.
        await recordAudit(
          store.db,
          {
            tenantId: arg,
            actor: actor(),
            keyId: null,
            action: 'tenant.export',
            target: out,
            status: 0,
            source: 'local',
            userAgent: 'vigie-collector',
            at: now,
            read: false,
          },
          newId,
        );
        const { manifest, warnings } = await exportTenant({
          db: store.db,
          dialect: store.dialect,
          tenant: arg,
          out,
          history,
          metricsName: config.metrics.kind,
          spoolPath: spoolOf(config),
          actor: actor(),
          now,
        });
        print(`exported tenant ${arg} to ${out}`);
        for (const [name, n] of Object.entries(manifest.counts)) print(`  ${name}: ${n}`);
        print(`  parts: ${manifest.parts.length} (SHA-256 of each in manifest.json)`);
        for (const w of warnings) print(`warning: ${w}`);
        return 0;
      }
      case 'import': {
        if (!arg) throw new TenantCommandError('tenant import needs the archive: tenant import FILE');
        const sink = createSink(config.metrics, config.spool);
        try {
          const summary = await importTenant({ db: store.db, sink, file: resolve(arg) });
          const tenant = summary.manifest.tenant.id;
          await recordAudit(
            store.db,
            {
              tenantId: tenant,
              actor: actor(),
              keyId: null,
              action: 'tenant.import',
              target: resolve(arg),
              status: 0,
              source: 'local',
              userAgent: 'vigie-collector',
              at: new Date(),
              read: false,
            },
            newId,
          );
          print(`imported tenant ${tenant} (${summary.manifest.tenant.name}) from ${resolve(arg)}`);
          for (const [name, n] of Object.entries(summary.rows)) print(`  ${name}: ${n}`);
          print(`  metricPoints: ${summary.points}`);
        } finally {
          await sink.close();
        }
        return 0;
      }
      case 'purge': {
        if (!arg) throw new TenantCommandError('tenant purge needs a tenant: tenant purge ID --yes');
        if (!(await getTenant(store.db, arg))) throw new TenantCommandError(`no tenant "${arg}"`);
        if (!opts.yes) {
          print(`tenant purge erases every row and metric point of ${arg}, for good. It would remove:`);
          for (const t of await tenantTables(store.db)) {
            const adb = anyDb(store.db);
            const q =
              t.key === 'ticket_id'
                ? adb
                    .selectFrom(t.name)
                    .where(
                      'ticket_id',
                      'in',
                      adb.selectFrom('tickets').select('id').where('tenant_id', '=', arg),
                    )
                : adb.selectFrom(t.name).where(t.key, '=', arg);
            const { n } = (await q
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()) as { n: number | string };
            if (Number(n) > 0) print(`  ${t.name}: ${Number(n)}`);
          }
          if (history) print(`  metric points: ${await history.countTenant(arg)}`);
          print('Run it again with --yes to erase (stop the collector first, or revoke the tenant agents).');
          return 1;
        }
        const summary = await purgeTenant({
          store,
          tenant: arg,
          history,
          metricsName: config.metrics.kind,
          spoolPath: spoolOf(config),
        });
        print(`purged tenant ${arg}:`);
        for (const [name, n] of Object.entries(summary.rows)) if (n > 0) print(`  ${name}: ${n} rows`);
        print(`  metric points: ${summary.points ?? 'not erased (see warning)'}`);
        if (summary.spooled > 0) print(`  spooled metric points: ${summary.spooled}`);
        for (const w of summary.warnings) print(`warning: ${w}`);
        return summary.warnings.length > 0 ? 3 : 0;
      }
      default:
        throw new TenantCommandError(`unknown command "tenant ${sub ?? ''}": tenant export | import | purge`);
    }
  } finally {
    await history?.close();
    await store.close();
  }
}
