// The store's own schema migrations (tenants, credentials, agents, check states, tickets), written once with
// Kysely's schema builder so both dialects get the same tables. Features declare their own migrations; the
// composition root (`schema-migrations.ts`) puts them in order and hands the list to `openStore`.
import { type Kysely, type Migration, sql } from 'kysely';

export const storeMigrations: Record<string, Migration> = {
  '0001_foundation': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('agent_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('host', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createTable('agents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('token_id', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('application', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'text', (c) => c.notNull())
        .addColumn('last_seen', 'text', (c) => c.notNull())
        .addUniqueConstraint('agents_tenant_host', ['tenant_id', 'host'])
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('tenant_id', 'text', (c) => c.references('tenants.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createTable('check_states')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('check_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('agent_status', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('metrics', 'text', (c) => c.notNull())
        .addColumn('observed_at', 'text', (c) => c.notNull())
        .addColumn('result_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('check_states_pk', ['tenant_id', 'host', 'check_id'])
        .execute();
      await db.schema
        .createTable('seen_results')
        .addColumn('result_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('seen_results_received').on('seen_results').column('received_at').execute();
      await db.schema
        .createTable('tickets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('check_id', 'text', (c) => c.notNull())
        .addColumn('dedup_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('occurrences', 'integer', (c) => c.notNull())
        .addColumn('opened_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('resolved_at', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // At most one ticket per dedup key that is not resolved or closed.
      await db.schema
        .createIndex('tickets_one_open_per_key')
        .on('tickets')
        .column('dedup_key')
        .unique()
        .where(sql.ref('status'), 'not in', ['resolved', 'closed'])
        .execute();
      await db.schema
        .createIndex('tickets_tenant_status')
        .on('tickets')
        .columns(['tenant_id', 'status'])
        .execute();
      await db.schema
        .createTable('ticket_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('ticket_id', 'text', (c) => c.notNull().references('tickets.id'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('ticket_events_ticket')
        .on('ticket_events')
        .columns(['ticket_id', 'at'])
        .execute();
      await db.schema
        .createTable('drift_snapshots')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('check_id', 'text', (c) => c.notNull())
        .addColumn('taken_at', 'text', (c) => c.notNull())
        .addColumn('full', 'integer', (c) => c.notNull())
        .addColumn('items', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('drift_snapshots_host')
        .on('drift_snapshots')
        .columns(['tenant_id', 'host', 'taken_at'])
        .execute();
    },
  },
  '0002_delivery_and_enrollment': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('agent_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('agent_events_host')
        .on('agent_events')
        .columns(['tenant_id', 'host', 'at'])
        .execute();
      await db.schema
        .createTable('enrollments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('host', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .addColumn('agent_token_id', 'text')
        .execute();
    },
  },
  '0003_ticket_workflow': {
    async up(db: Kysely<unknown>) {
      const add = async (table: string, column: string, type: 'text' | 'integer', dflt?: string | number) => {
        await db.schema
          .alterTable(table)
          .addColumn(column, type, (c) => (dflt === undefined ? c : c.notNull().defaultTo(dflt)))
          .execute();
      };
      await add('check_states', 'memory', 'text', '{}');
      await add('check_states', 'rules', 'text', '{}');
      await add('tickets', 'kind', 'text', 'check');
      await add('tickets', 'priority', 'text', 'P4');
      await add('tickets', 'support_level', 'text', 'N1');
      await add('tickets', 'environment', 'text', '');
      await add('tickets', 'application', 'text', '');
      await add('tickets', 'acknowledged_at', 'text');
      await add('tickets', 'closed_at', 'text');
      await add('tickets', 'assignee', 'text');
      await add('tickets', 'response_due_at', 'text');
      await add('tickets', 'resolution_due_at', 'text');
      await add('tickets', 'sla_flags', 'text', '');
      await add('tickets', 'reopened', 'integer', 0);
      await add('tickets', 'waiting_since', 'text');
      await add('tickets', 'paused_ms', 'integer', 0);
      await add('tenants', 'contract', 'text');
      await db.schema
        .createIndex('tickets_key_resolved')
        .on('tickets')
        .columns(['dedup_key', 'resolved_at'])
        .execute();
    },
  },
  '0004_sla_pauses_and_notifications': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('tickets')
        .addColumn('pauses', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
    },
  },
  // A host's tickets (its forecast tickets when a threshold ticket opens, its queue in the API) without a
  // scan of every open ticket of its tenant (0.7 ms per ticket opened with 5,000 open tickets before), and the
  // queue's default order without sorting every ticket (10 ms per page with 5,000 before).
  '0012_ticket_indexes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('tickets_tenant_host_status')
        .on('tickets')
        .columns(['tenant_id', 'host', 'status'])
        .execute();
      // The queue's default order (newest first, ties by id): see listTickets.
      await sql`CREATE INDEX tickets_opened_order ON tickets (coalesce(opened_at, '9999-12-31'), id)`.execute(
        db,
      );
    },
  },
};
