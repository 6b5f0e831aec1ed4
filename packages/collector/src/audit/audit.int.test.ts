// The audit log through a whole collector, on SQLite and PostgreSQL: every provider-key action on a tenant's
// data is recorded per tenant it touched (who, what, when, from where), identical reads within a minute are
// one entry with a count, client keys see their own tenant's log and are not audited themselves.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../../../../test/support/collector.js';
import { DIALECTS } from '../../../../test/support/stores.js';

interface Entry {
  tenant: string;
  action: string;
  target: string;
  count: number;
  actor: string;
  keyId: string | null;
  status: number;
  source: string;
  userAgent: string;
  at: string;
  lastAt: string;
}

describe.each(DIALECTS)('audit log on %s', (dialect) => {
  let t: TestCollector | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('records provider actions per tenant, folds repeated reads, and shows each client its own', async () => {
    t = await startTestCollector({ dialect });
    const c = t;
    await c.addTenant('acme');
    await c.addTenant('globex');
    const pk = c.providerKey;
    const acme = await c.clientKey('acme');
    const globex = await c.clientKey('globex');
    const open = async (key: string) =>
      (
        await c.api<{ id: string }>('POST', '/api/requests', key, {
          title: 'help',
          description: 'please',
          application: 'erp',
        })
      ).body.id;
    const acmeTicket = await open(acme);
    await open(globex);
    const log = async (key: string, query = '') =>
      (await c.api<Entry[]>('GET', `/api/audit${query}`, key)).body;
    // Client keys acting on their own tenant are not audited.
    expect(await log(pk, '?tenant=acme')).toEqual([]);

    // A list of both tenants' tickets: one entry for each; twice within a minute: counted, not repeated.
    await c.api('GET', '/api/tickets', pk);
    c.advance(30_000);
    await c.api('GET', '/api/tickets', pk);
    c.advance(90_000);
    await c.api('GET', '/api/tickets', pk);
    await c.api('POST', `/api/tickets/${acmeTicket}/comments`, pk, { text: 'on it' });
    await c.api('GET', '/api/tickets/00000000-0000-7000-8000-000000000000', pk);

    const acmeLog = await log(acme);
    expect(acmeLog.map((e) => [e.action, e.count, e.status])).toEqual([
      [`POST /api/tickets/:id/comments`, 1, 200],
      ['GET /api/tickets', 1, 200],
      ['GET /api/tickets', 2, 200],
      ['GET /api/audit', 1, 200],
    ]);
    const folded = acmeLog[2] as Entry;
    expect(folded).toMatchObject({
      tenant: 'acme',
      actor: 'key:noc',
      source: '127.0.0.1',
      userAgent: 'vitest',
      target: '/api/tickets',
    });
    expect(Date.parse(folded.lastAt) - Date.parse(folded.at)).toBe(30_000);
    expect(acmeLog.every((e) => e.keyId !== null && e.tenant === 'acme')).toBe(true);
    expect((await log(globex)).map((e) => e.action)).toEqual(['GET /api/tickets', 'GET /api/tickets']);
    expect((await c.api('GET', '/api/audit?tenant=globex', acme)).status).toBe(403);
  });
});
