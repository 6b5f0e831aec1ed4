import { describe, expect, it } from 'vitest';
import { DIALECTS, freshStore } from '../../../../test/support/stores.js';
import { probeStore } from './open.js';

describe.each(DIALECTS)('probeStore (/healthz) on %s', (dialect) => {
  it('answers at once while a transaction holds the store, and fails once the store is gone', async () => {
    const fresh = await freshStore(dialect);
    const { store } = fresh;
    let probedInside = false;
    // A group's transaction holding the connection (on SQLite, Kysely's only one) for a while: the probe
    // must not queue behind it (a query through Kysely would wait for the transaction to end).
    await store.db.transaction().execute(async (trx) => {
      await trx.selectFrom('tenants').select('id').execute();
      await probeStore(store);
      probedInside = true;
    });
    expect(probedInside).toBe(true);
    await fresh.dispose();
    await expect(probeStore(store)).rejects.toThrow();
  });
});
