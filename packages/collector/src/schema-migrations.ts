// The composition root of the schema: the store's own migrations and each feature's, in order. Migration
// names sort in the order they run; a released name never changes, since stores remember which ones ran.
import type { Kysely, Migration } from 'kysely';
import { auditMigration } from './audit/migration.js';
import { clusterMigration } from './cluster/migration.js';
import { connectorsMigration } from './connectors/deliveries.js';
import { contractsMigration } from './contracts/migration.js';
import { driftMigration } from './drift/migration.js';
import { forecastMigration } from './forecast/migration.js';
import { ingestMigration } from './ingest/migration.js';
import { operationsMigration } from './lifecycle/migration.js';
import { reportsMigration } from './reports/migration.js';
import { storeMigrations } from './store/migrations.js';

/** Runs several migrations as one (a released migration that created tables of more than one feature). */
function together(...parts: Migration[]): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const m of parts) await m.up(db);
    },
  };
}

export const collectorMigrations: Record<string, Migration> = {
  ...storeMigrations,
  '0004_sla_pauses_and_notifications': together(
    storeMigrations['0004_sla_pauses_and_notifications'] as Migration,
    connectorsMigration,
  ),
  '0005_drift': driftMigration,
  '0006_ingest_streams': ingestMigration,
  // The TMA contract: contracts, ledger, work logs (contracts/), client reports (reports/), audit log (audit/).
  '0008_tma_contract': together(contractsMigration, reportsMigration, auditMigration),
  '0009_operations': operationsMigration,
  '0010_forecasts': forecastMigration,
  '0011_cluster': clusterMigration,
};
