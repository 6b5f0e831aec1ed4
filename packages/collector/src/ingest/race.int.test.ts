// Two collectors on one PostgreSQL racing to open a ticket on the same key (issue 12): the database's partial
// unique index on open tickets lets one insert win; the loser plans again against the winner's ticket, so its
// result becomes an occurrence. The race is made certain, not hoped for: a third session holds a lock on the
// tickets table until both collectors' transactions wait on it (seen in pg_stat_activity).
import { createIdGenerator } from '@vigie/shared';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { freshStore } from '../../../../test/support/stores.js';
import { EmbeddedSink } from '../sinks/embedded/sink.js';
import { addTenant } from '../store/tenants.js';
import { listTickets } from '../store/tickets.js';
import { ingestHarness, testResult } from './testing.js';

const T0 = Date.parse('2026-11-28T12:00:00.000Z');

describe('two collectors racing on one ticket key (PostgreSQL)', () => {
  let disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const d of disposers.reverse()) await d();
    disposers = [];
  });

  it('one open ticket; the losing open becomes an occurrence; nothing is refused', async () => {
    const fresh = await freshStore('postgres');
    const sink = new EmbeddedSink({ path: ':memory:', retentionMs: 86_400_000, maxPoints: 1e6 });
    disposers.push(fresh.dispose, () => sink.close());
    const second = await fresh.reopen();
    disposers.push(() => second.close());
    const clock = T0 + 60_000;
    const now = () => new Date(clock);
    const newId = createIdGenerator(() => clock);
    await addTenant(fresh.store.db, 'acme', 'ACME', now());
    // Two collectors: their own pools and their own host states in memory, on the same database.
    const one = ingestHarness({ store: fresh.store, sink, now, newId });
    const two = ingestHarness({ store: second, sink, now, newId });
    disposers.push(
      () => one.close(),
      () => two.close(),
    );
    const a1 = await one.connect({ tenant: 'acme', host: 'db-01' });
    const a2 = await two.connect({ tenant: 'acme', host: 'db-01' });

    if (fresh.store.raw.kind !== 'postgres') throw new Error('expected PostgreSQL');
    const pool: pg.Pool = fresh.store.raw.pool;
    const locker = await pool.connect();
    try {
      await locker.query('BEGIN');
      // Reads go on (ACCESS SHARE); inserts into tickets (ROW EXCLUSIVE) wait.
      await locker.query('LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE');
      const sent = [
        a1.send([testResult(newId(), 'backup', 'critical', T0 + 1)]),
        a2.send([testResult(newId(), 'backup', 'critical', T0 + 2)]),
      ];
      let waiting = 0;
      for (let i = 0; i < 200 && waiting < 2; i++) {
        // Asked outside the locker's transaction, which would keep seeing its first snapshot of the view.
        const r = await pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND state = 'active'`,
        );
        waiting = Number(r.rows[0]?.n);
        if (waiting < 2) await new Promise((r) => setTimeout(r, 25));
      }
      expect(waiting).toBe(2);
      await locker.query('COMMIT');
      const [b1, b2] = await Promise.all(sent);
      expect(b1?.accepted).toHaveLength(1);
      expect(b2?.accepted).toHaveLength(1);
    } finally {
      locker.release();
    }

    const tickets = await listTickets(fresh.store.db, { tenantId: 'acme', limit: 10 });
    expect(tickets).toHaveLength(1);
    expect(tickets[0]?.status).toBe('open');
    expect(tickets[0]?.occurrences).toBe(2);
    // Exactly one of the two transactions lost the race and was planned again.
    expect(one.ingest.stats.ticketConflicts + two.ingest.stats.ticketConflicts).toBe(1);
  });
});
