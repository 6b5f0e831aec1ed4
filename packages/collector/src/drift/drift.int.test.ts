// Snapshots, parity report, drift tickets and baselines on a real store, on SQLite and on PostgreSQL.
import { createIdGenerator, type Environment } from '@vigie/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore } from '../../../../test/support/stores.js';
import { upsertAgent } from '../store/agents.js';
import { insertSnapshot } from '../store/drift.js';
import type { Store } from '../store/open.js';
import { addTenant } from '../store/tenants.js';
import { listTickets, ticketTimeline } from '../store/tickets.js';
import { ContractBook } from '../tickets/contracts.js';
import { approveBaseline, baselineDrift, DriftNotFound } from './baseline.js';
import { setIgnorePatterns } from './ignore.js';
import { driftDb } from './migration.js';
import { toMarkdown } from './parity.js';
import { DriftSync, parityPoints, parityReportFor } from './service.js';
import { encodeSnapshotItems, listSnapshots, resolveItems } from './snapshots.js';
import { ensureDriftTables } from './testing.js';

const HMAC_PROD_DB = `hmac-sha256:${'5f3c9a1e'.repeat(8)}`;
const HMAC_ISO_DB = `hmac-sha256:${'9d0b7e42'.repeat(8)}`;
const HMAC_TOKEN = `hmac-sha256:${'c0ffee11'.repeat(8)}`;
const SMTP_PROD = 'Pr0d-smtp-pa55!';
const SMTP_ISO = 'Is0-smtp-pa55!';
const ENV = 'config./etc/shop/app.env';

const PRODUCTION: Record<string, string> = {
  'os.hostname': 'shop-prod-01',
  'os.distro': 'Debian GNU/Linux',
  'os.release': '12',
  'os.codename': 'bookworm',
  'os.kernel': '6.1.0-28-amd64',
  'os.arch': 'x64',
  'os.timezone': 'Europe/Paris',
  'net.eth0.ipv4': '10.0.1.10',
  'net.eth0.mac': '52:54:00:12:34:56',
  'app.listen.ip': '10.0.1.10',
  'cpu.model': 'AMD EPYC 7543',
  'cpu.cores': '8',
  'memory.total_bytes': '33554432000',
  'runtime.postgresql': '15.8',
  'runtime.node': '20.18.1',
  'browser.chromium': '131.0.6778.85-1~deb12u1',
  'package.openssl': '3.0.15-1~deb12u1',
  'package.libc6': '2.36-9+deb12u9',
  'package.nginx': '1.22.1-9+deb12u1',
  [`${ENV}.DB_HOST`]: 'db.prod.shop.internal',
  [`${ENV}.DB_NAME`]: 'shop',
  [`${ENV}.DB_PASSWORD`]: HMAC_PROD_DB,
  [`${ENV}.API_TOKEN`]: HMAC_TOKEN,
  [`${ENV}.SMTP_PASSWORD`]: SMTP_PROD,
  // Both agents hash secrets with the tenant's key: their hashes compare.
  'secret.key.id': '5e1f0c2a9b7d3e48',
};

/** The iso-production copy as the TMA runs it: weaker, older database and browser, its own secrets. */
const ISO: Record<string, string> = {
  ...PRODUCTION,
  'os.hostname': 'shop-iso-01',
  'net.eth0.ipv4': '10.0.2.10',
  'net.eth0.mac': '52:54:00:ab:cd:ef',
  'app.listen.ip': '10.0.2.10',
  'cpu.cores': '4',
  'memory.total_bytes': '16777216000',
  'runtime.postgresql': '13.4',
  'browser.chromium': '129.0.6668.100-1~deb12u1',
  'package.libc6': '2.36-9+deb12u7',
  [`${ENV}.DB_HOST`]: 'db.iso.shop.internal',
  [`${ENV}.DB_PASSWORD`]: HMAC_ISO_DB,
  [`${ENV}.SMTP_PASSWORD`]: SMTP_ISO,
};

/** Exactly the differences the report must name (DB_HOST is ignored for the application). */
const EXPECTED = [
  ['runtime.postgresql', 'critical', 'database.major', '15.8', '13.4'],
  ['browser.chromium', 'warning', 'browser.major', PRODUCTION['browser.chromium'], ISO['browser.chromium']],
  [`${ENV}.DB_PASSWORD`, 'warning', 'config.secret', 'hmac-sha256:5f3c9a1e…', 'hmac-sha256:9d0b7e42…'],
  [`${ENV}.SMTP_PASSWORD`, 'warning', 'config.secret', '[redacted]', '[redacted]'],
  ['cpu.cores', 'warning', 'capacity.lower', '8', '4'],
  ['memory.total_bytes', 'warning', 'capacity.lower', '33554432000', '16777216000'],
  ['package.libc6', 'info', 'package.patch', '2.36-9+deb12u9', '2.36-9+deb12u7'],
];

/** Strings that must never appear in a report, an export, a ticket or a drift table. */
const SECRETS = [HMAC_PROD_DB, HMAC_ISO_DB, HMAC_TOKEN, SMTP_PROD, SMTP_ISO, 'c0ffee11c0ffee11'];

const HOUR = 3_600_000;

describe.each(DIALECTS)('drift on %s', (dialect) => {
  let dispose: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const d of dispose) await d();
    dispose = [];
  });

  async function setup() {
    const { store, dispose: d } = await freshStore(dialect);
    dispose.push(d);
    await ensureDriftTables(store.db);
    let clock = Date.parse('2026-03-02T08:00:00.000Z');
    const now = () => new Date(clock);
    const advance = (ms: number) => {
      clock += ms;
    };
    const newId = createIdGenerator(() => clock);
    await addTenant(store.db, 'acme', 'ACME', now());
    const agent = (host: string, environment: Environment, application = 'shop') =>
      upsertAgent(store.db, {
        id: newId(),
        tenantId: 'acme',
        tokenId: `tok-${host}`,
        agent: { host, environment, application, version: 't' },
        now: now(),
      });
    // Each environment has its own database server: an expected difference.
    await setIgnorePatterns(store.db, {
      tenantId: 'acme',
      application: 'shop',
      patterns: ['config.*.DB_HOST'],
      by: 'key:noc',
      now: now(),
    });
    const sync = new DriftSync({
      db: store.db,
      newId,
      now,
      reopenWindowMs: 0,
      dueTimes: new ContractBook().dueTimes(),
    });
    /** Stores a snapshot taken now, as the ingest gateway does, then runs what follows a stored snapshot. */
    const snapshot = async (
      host: string,
      items: Record<string, string>,
      options: { full?: boolean; removed?: string[]; checkId?: string } = {},
    ) => {
      const full = options.full ?? true;
      const id = `acme:${newId()}`;
      await insertSnapshot(store.db, {
        id,
        tenant_id: 'acme',
        host,
        check_id: options.checkId ?? 'fingerprint',
        taken_at: now().toISOString(),
        full: full ? 1 : 0,
        items: encodeSnapshotItems({ full, items, removed: options.removed ?? [] }),
        received_at: now().toISOString(),
      });
      const outcome = await sync.snapshotStored({ tenantId: 'acme', host });
      return { id, ...outcome };
    };
    return { store, now, advance, newId, agent, snapshot };
  }

  /** Everything the drift feature wrote or answered (tickets, their timelines, drift tables), as one text. */
  async function everything(store: Store, extra: unknown[]): Promise<string> {
    const db = driftDb(store.db);
    const tickets = await store.db.selectFrom('tickets').selectAll().execute();
    const events = await store.db.selectFrom('ticket_events').selectAll().execute();
    const tables = await Promise.all([
      db.selectFrom('drift_baselines').selectAll().execute(),
      db.selectFrom('drift_items_seen').selectAll().execute(),
      db.selectFrom('drift_parity_state').selectAll().execute(),
    ]);
    return JSON.stringify([tickets, events, tables, extra]);
  }

  it('the parity report names exactly the differences, with their severities, and no secret', async () => {
    const { store, agent, snapshot, advance } = await setup();
    await agent('shop-prod-01', 'production');
    await agent('shop-iso-01', 'iso-production');
    await snapshot('shop-prod-01', PRODUCTION);
    advance(HOUR);
    const { report } = await snapshot('shop-iso-01', ISO);
    if (!report) throw new Error('no report');
    expect(report.reference).toEqual({
      host: 'shop-prod-01',
      environment: 'production',
      takenAt: '2026-03-02T08:00:00.000Z',
    });
    expect(report.comparisons).toHaveLength(1);
    const [iso] = report.comparisons;
    expect(iso?.environment).toBe('iso-production');
    expect(iso?.host).toBe('shop-iso-01');
    expect(iso?.differences.map((d) => [d.item, d.severity, d.rule, d.production, d.other])).toEqual(
      EXPECTED,
    );
    expect(iso?.counts).toEqual({ critical: 1, warning: 5, info: 1 });
    expect(iso?.atParity).toBe(false);
    // os.hostname, net.eth0.ipv4, net.eth0.mac, app.listen.ip, DB_HOST.
    expect(iso?.ignoredItems).toBe(5);
    const memory = iso?.differences.find((d) => d.item === 'memory.total_bytes');
    expect(memory?.reason).toBe(
      'iso-production has less memory than production (15.6 GiB < 31.3 GiB): slower, and may not hold all the data',
    );
    // Each difference exists since the iso snapshot showed it (production's values were there before).
    expect(new Set(iso?.differences.map((d) => d.firstSeenAt))).toEqual(
      new Set(['2026-03-02T09:00:00.000Z']),
    );
    expect(parityPoints(report)).toEqual([
      {
        measurement: 'vigie_parity',
        tags: { tenant: 'acme', application: 'shop', environment: 'iso-production' },
        fields: { critical: 1, warning: 5, info: 1, at_parity: 0 },
        time: Date.parse(report.generatedAt),
      },
    ]);

    const md = toMarkdown(report);
    for (const [item, , rule] of EXPECTED) {
      expect(md).toContain(`\`${item}\``);
      expect(md).toContain(`| ${rule} |`);
    }
    expect(md).toContain('| iso-production | `shop-iso-01` | 1 | 5 | 1 | **no** |');
    expect(md).toContain('`hmac-sha256:9d0b7e42…`');
    expect(md).not.toContain('db.iso.shop.internal');
    const all = await everything(store, [report, md]);
    for (const secret of SECRETS) {
      expect(md).not.toContain(secret);
      expect(JSON.stringify(report)).not.toContain(secret);
      expect(all).not.toContain(secret);
    }
  });

  it('opens the drift ticket of (application, iso-production), updates it as items change, resolves it at parity', async () => {
    const { store, agent, snapshot, advance } = await setup();
    await agent('shop-prod-01', 'production');
    await agent('shop-iso-01', 'iso-production');
    await snapshot('shop-prod-01', PRODUCTION);
    advance(HOUR);
    const first = await snapshot('shop-iso-01', ISO);
    expect(first.tickets.map((t) => [t.environment, t.status, t.effect?.kind])).toEqual([
      ['iso-production', 'critical', 'opened'],
    ]);
    const [opened] = await listTickets(store.db, { tenantId: 'acme', limit: 10 });
    expect(opened).toMatchObject({
      host: 'shop',
      check_id: 'parity:iso-production',
      application: 'shop',
      environment: 'iso-production',
      status: 'open',
      severity: 'critical',
      priority: 'P2',
      title: 'parity:iso-production critical on shop',
    });
    expect(opened?.message).toContain('1 critical, 5 warning, 1 info');
    expect(opened?.message).toContain('runtime.postgresql: "15.8" -> "13.4" (critical');
    expect(opened?.message).toContain('hmac-sha256:9d0b7e42…');

    // The same fingerprint again: nothing new for the ticket.
    advance(HOUR);
    const again = await snapshot('shop-iso-01', ISO);
    expect(again.tickets[0]?.effect).toBeUndefined();

    // The TMA upgrades the iso database: the ticket is updated (still open; severity is never lowered).
    advance(HOUR);
    const upgraded = await snapshot('shop-iso-01', { ...ISO, 'runtime.postgresql': '15.8' });
    expect(upgraded.tickets.map((t) => [t.status, t.effect?.kind])).toEqual([['warning', 'occurrence']]);
    const [updated] = await listTickets(store.db, { tenantId: 'acme', limit: 10 });
    expect(updated?.id).toBe(opened?.id);
    expect(updated?.occurrences).toBe(2);
    expect(updated?.message).toContain('0 critical, 5 warning, 1 info');
    expect(updated?.message).not.toContain('runtime.postgresql');

    // Iso-production now matches production (host names, addresses and a libc6 revision aside): resolved.
    advance(HOUR);
    const restored = await snapshot('shop-iso-01', {
      ...PRODUCTION,
      'os.hostname': 'shop-iso-01',
      'net.eth0.ipv4': '10.0.2.10',
      [`${ENV}.DB_HOST`]: 'db.iso.shop.internal',
      'app.listen.ip': '10.0.2.10',
      'package.libc6': '2.36-9+deb12u7',
    });
    expect(restored.tickets.map((t) => [t.status, t.effect?.kind])).toEqual([['ok', 'resolved']]);
    expect(restored.report?.comparisons[0]?.atParity).toBe(true);
    expect(restored.report?.comparisons[0]?.counts).toEqual({ critical: 0, warning: 0, info: 1 });
    const [resolved] = await listTickets(store.db, { tenantId: 'acme', limit: 10 });
    expect(resolved?.status).toBe('resolved');
    expect(resolved?.resolved_at).toBe('2026-03-02T12:00:00.000Z');
    const timeline = await ticketTimeline(store.db, opened?.id ?? '');
    expect(timeline.map((e) => e.kind)).toEqual(['opened', 'occurrence', 'resolved']);

    // A production change breaks parity again: a new drift ticket.
    advance(HOUR);
    const prodUpgrade = await snapshot('shop-prod-01', { ...PRODUCTION, 'runtime.node': '22.11.0' });
    expect(prodUpgrade.tickets.map((t) => [t.status, t.effect?.kind])).toEqual([['warning', 'opened']]);
    expect(await everything(store, [])).not.toContain(HMAC_ISO_DB);
  });

  it('detects changes from the approved baseline with before and after values and when they were first seen', async () => {
    const { store, agent, snapshot, advance, now } = await setup();
    await agent('shop-iso-01', 'iso-production');
    await expect(
      approveBaseline(store.db, { tenantId: 'acme', host: 'shop-iso-01', approvedBy: 'key:noc', now: now() }),
    ).rejects.toBeInstanceOf(DriftNotFound);
    const first = await snapshot('shop-iso-01', ISO);
    advance(HOUR);
    const approved = await approveBaseline(store.db, {
      tenantId: 'acme',
      host: 'shop-iso-01',
      approvedBy: 'key:noc',
      now: now(),
    });
    expect(approved).toEqual({
      host: 'shop-iso-01',
      snapshotId: first.id,
      takenAt: '2026-03-02T08:00:00.000Z',
      approvedAt: '2026-03-02T09:00:00.000Z',
      approvedBy: 'key:noc',
      items: Object.keys(ISO).length,
    });
    expect((await baselineDrift(store.db, 'acme', 'shop-iso-01'))?.differences).toEqual([]);

    advance(HOUR);
    const changed = Object.fromEntries(
      Object.entries({
        ...ISO,
        'package.nginx': '1.22.1-9+deb12u2',
        'package.curl': '7.88.1-10+deb12u8',
        [`${ENV}.DB_PASSWORD`]: HMAC_PROD_DB,
        [`${ENV}.SMTP_PASSWORD`]: 'An0ther-secret!',
      }).filter(([item]) => item !== 'package.openssl'),
    );
    await snapshot('shop-iso-01', changed);
    advance(HOUR);
    // Seen again later: the first-seen time stays that of the snapshot that showed the change.
    await snapshot('shop-iso-01', changed);
    const drift = await baselineDrift(store.db, 'acme', 'shop-iso-01');
    expect(drift?.baseline.snapshotId).toBe(first.id);
    expect(drift?.current.takenAt).toBe('2026-03-02T11:00:00.000Z');
    expect(drift?.differences).toEqual([
      {
        item: `${ENV}.DB_PASSWORD`,
        before: 'hmac-sha256:9d0b7e42…',
        after: 'hmac-sha256:5f3c9a1e…',
        firstSeenAt: '2026-03-02T10:00:00.000Z',
        change: 'changed',
      },
      {
        item: `${ENV}.SMTP_PASSWORD`,
        before: '[redacted]',
        after: '[redacted]',
        firstSeenAt: '2026-03-02T10:00:00.000Z',
        change: 'changed',
      },
      {
        item: 'package.curl',
        before: null,
        after: '7.88.1-10+deb12u8',
        firstSeenAt: '2026-03-02T10:00:00.000Z',
        change: 'added',
      },
      {
        item: 'package.nginx',
        before: '1.22.1-9+deb12u1',
        after: '1.22.1-9+deb12u2',
        firstSeenAt: '2026-03-02T10:00:00.000Z',
        change: 'changed',
      },
      {
        item: 'package.openssl',
        before: '3.0.15-1~deb12u1',
        after: null,
        firstSeenAt: '2026-03-02T10:00:00.000Z',
        change: 'removed',
      },
    ]);
    const all = await everything(store, [drift]);
    for (const secret of [SMTP_ISO, 'An0ther-secret!']) expect(all).not.toContain(secret);

    // Approving a given snapshot (by the agent's id or the stored one) moves the baseline.
    const history = await listSnapshots(store.db, 'acme', 'shop-iso-01');
    expect(history.map((h) => h.changes && [h.changes.added, h.changes.changed, h.changes.removed])).toEqual([
      [0, 0, 0],
      [1, 3, 1],
      null,
    ]);
    expect(history[1]?.changes?.items).toEqual([
      `${ENV}.DB_PASSWORD`,
      `${ENV}.SMTP_PASSWORD`,
      'package.curl',
      'package.nginx',
      'package.openssl',
    ]);
    const agentId = (history[0]?.id ?? '').replace(/^acme:/, '');
    const moved = await approveBaseline(store.db, {
      tenantId: 'acme',
      host: 'shop-iso-01',
      snapshotId: agentId,
      approvedBy: 'key:dev',
      now: now(),
    });
    expect(moved.snapshotId).toBe(history[0]?.id);
    expect((await baselineDrift(store.db, 'acme', 'shop-iso-01'))?.differences).toEqual([]);
    await expect(
      approveBaseline(store.db, {
        tenantId: 'acme',
        host: 'shop-iso-01',
        snapshotId: 'nope',
        approvedBy: 'key:dev',
        now: now(),
      }),
    ).rejects.toMatchObject({ code: 'snapshot_not_found' });
  });

  it('resolves the current items from a full snapshot, later deltas, and several drift checks', async () => {
    const { store, snapshot, advance, agent } = await setup();
    await agent('shop-prod-01', 'production');
    await snapshot('shop-prod-01', { 'os.kernel': '6.1.0-26-amd64', 'package.a': '1', 'package.b': '1' });
    advance(HOUR);
    await snapshot(
      'shop-prod-01',
      { 'os.kernel': '6.1.0-28-amd64', 'package.c': '1' },
      {
        full: false,
        removed: ['package.b'],
      },
    );
    advance(HOUR);
    await snapshot('shop-prod-01', { 'config./etc/x.conf.MODE': 'fast' }, { checkId: 'config-files' });
    advance(HOUR);
    await snapshot('shop-prod-01', { 'package.a': '2' }, { full: false });
    const resolved = await resolveItems(store.db, 'acme', 'shop-prod-01');
    expect(Object.fromEntries(resolved?.items ?? [])).toEqual({
      'os.kernel': '6.1.0-28-amd64',
      'package.a': '2',
      'package.c': '1',
      'config./etc/x.conf.MODE': 'fast',
    });
    expect(resolved?.takenAt).toBe('2026-03-02T11:00:00.000Z');
    expect(resolved?.incomplete).toEqual([]);
    // As of the second snapshot: the config check had not reported yet.
    const before = await resolveItems(store.db, 'acme', 'shop-prod-01', '2026-03-02T09:00:00.000Z');
    expect(Object.fromEntries(before?.items ?? [])).toEqual({
      'os.kernel': '6.1.0-28-amd64',
      'package.a': '1',
      'package.c': '1',
    });
    // A new full snapshot starts over: what it does not list is gone.
    advance(HOUR);
    await snapshot('shop-prod-01', { 'os.kernel': '6.1.0-28-amd64' });
    const after = await resolveItems(store.db, 'acme', 'shop-prod-01');
    expect(Object.fromEntries(after?.items ?? [])).toEqual({
      'os.kernel': '6.1.0-28-amd64',
      'config./etc/x.conf.MODE': 'fast',
    });
    expect(await resolveItems(store.db, 'acme', 'nobody')).toBeUndefined();
  });

  it('compares every iso-production and staging host, and gives no report without production', async () => {
    const { store, agent, snapshot, now } = await setup();
    await agent('shop-iso-01', 'iso-production');
    await agent('shop-stg-01', 'staging');
    await agent('other-prod-01', 'production', 'other');
    const noProd = await snapshot('shop-iso-01', ISO);
    expect(noProd.report).toBeUndefined();
    expect(noProd.tickets).toEqual([]);
    await agent('shop-prod-02', 'production');
    await agent('shop-prod-01', 'production');
    await snapshot('shop-prod-02', PRODUCTION);
    await snapshot('shop-prod-01', PRODUCTION);
    await snapshot('shop-stg-01', { ...PRODUCTION, 'runtime.postgresql': '15.6' });
    const report = await parityReportFor(store.db, 'acme', 'shop', now());
    expect(report?.reference.host).toBe('shop-prod-01');
    expect(report?.notes[0]).toContain('2 production hosts (shop-prod-01, shop-prod-02)');
    expect(
      report?.comparisons.map((c) => [c.environment, c.host, c.counts.critical, c.counts.warning]),
    ).toEqual([
      ['iso-production', 'shop-iso-01', 1, 5],
      ['staging', 'shop-stg-01', 0, 1],
    ]);
    const tickets = await listTickets(store.db, { tenantId: 'acme', limit: 10 });
    expect(tickets.map((t) => [t.check_id, t.severity, t.priority]).sort()).toEqual([
      ['parity:iso-production', 'critical', 'P2'],
      ['parity:staging', 'warning', 'P4'],
    ]);
  });
});
