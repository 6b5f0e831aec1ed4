// The NOC page in a real headless Chromium against a real collector with real agents: sign in, a failing
// check's ticket appearing live (no reload), acknowledging from the page (by keyboard and from the ticket
// dialog), host detail with charts, parity, text escaping, and tenant isolation of a client key on the page
// and on the live feed (GET /api/live). Screenshots for a wall screen and a laptop go to test-artifacts/noc/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CollectorClient, MemoryOutbox } from '@vigie/agent';
import {
  addTenant,
  buildCollector,
  type Collector,
  createAgentToken,
  createApiKey,
  loadCollectorConfig,
} from '@vigie/collector';
import { createIdGenerator, type Result } from '@vigie/shared';
import pino from 'pino';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBinary } from '../support/packages.js';
import { waitFor } from '../support/wait.js';

const log = pino({ level: 'silent' });
const newId = createIdGenerator();
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/noc/', import.meta.url));
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const WALL = { width: 1920, height: 1080 };
const LAPTOP = { width: 1366, height: 768 };

interface Ticket {
  id: string;
  tenant: string;
  host: string;
  checkId: string;
  title: string;
  status: string;
  acknowledgedAt: string | null;
  timeline: Array<{ kind: string; actor: string; details: Record<string, unknown> }>;
}

type LiveEvent = { type: string; tenant: string; host?: string; ticketId?: string; action?: string };

/**
 * A reader of GET /api/live (server-sent events) as the page's EventSource sees it. node:http rather than
 * fetch: undici opens a spare connection when a streamed response is aborted, which the collector's close()
 * would then wait for.
 */
function openLive(url: string) {
  const events: LiveEvent[] = [];
  const named: string[] = [];
  return new Promise<{
    status: number;
    contentType: string;
    events: LiveEvent[];
    named: string[];
    close: () => void;
  }>((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const lines = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
          const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
          if (event) named.push(event);
          else if (data) events.push(JSON.parse(data) as LiveEvent);
        }
      });
      res.on('error', () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        contentType: String(res.headers['content-type'] ?? ''),
        events,
        named,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('NOC page in a real browser', () => {
  let collector: Collector;
  let base: string;
  let provider: string;
  let globexKey: string;
  let context: BrowserContext;
  let userDataDir: string;
  const agents = new Map<string, { client: CollectorClient; outbox: MemoryOutbox }>();
  const consoleErrors: string[] = [];

  const result = (
    checkId: string,
    status: Result['status'],
    message: string,
    metrics: Record<string, number> = {},
    observedAt = new Date(),
  ): Result => ({
    id: newId(),
    checkId,
    type: checkId === 'disk' ? 'filesystem' : checkId === 'cpu' ? 'cpu' : 'backup-freshness',
    category: checkId === 'backup' ? 'backup' : 'performance',
    status,
    metrics,
    message,
    observedAt: observedAt.toISOString(),
    durationMs: 3,
  });

  const send = async (host: string, results: Result[]) => {
    const a = agents.get(host);
    if (!a) throw new Error(`no agent ${host}`);
    for (const r of results) a.outbox.push({ kind: 'result', result: r });
    await waitFor(`delivery from ${host}`, () => a.outbox.size() === 0);
  };

  const api = async <T>(key: string, path: string): Promise<T> => {
    const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    expect(r.status, path).toBe(200);
    return (await r.json()) as T;
  };

  /** A tab; console errors are collected, except the failed requests the test provokes (`expected`). */
  const newPage = async (
    viewport: { width: number; height: number },
    expected: RegExp[] = [],
  ): Promise<Page> => {
    const page = await context.newPage();
    await page.setViewportSize(viewport);
    page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
    page.on('console', (m) => {
      const line = `console: ${m.text()} (${m.location().url})`;
      if (m.type() === 'error' && !expected.some((e) => e.test(line))) consoleErrors.push(line);
    });
    return page;
  };
  // The browser logs every failed fetch, including the answers the page handles.
  const NO_PARITY = /status of 404 .*\/api\/applications\/[^/]+\/parity/;
  const WRONG_KEY = /status of 401 .*\/api\/me/;

  const signIn = async (page: Page, key: string) => {
    await page.goto(`${base}/`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#live[data-state="live"]').waitFor({ timeout: 15_000 });
  };

  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

  beforeAll(async () => {
    const executablePath = await ensureBinary('chromium', 'chromium');
    mkdirSync(ARTIFACTS, { recursive: true });
    collector = await buildCollector(
      loadCollectorConfig(undefined, {
        dataDir: mkdtempSync(join(tmpdir(), 'vigie-noc-')),
        listen: { host: '127.0.0.1', port: 0 },
        tickets: { confirm: { failures: 1, recoveries: 1 } },
      }),
      { log },
    );
    base = await collector.listen();
    const db = collector.store.db;
    const now = new Date();
    await addTenant(db, 'acme', 'ACME Retail', now);
    await addTenant(db, 'globex', 'Globex Insurance', now);
    provider = (await createApiKey(db, { id: newId(), tenantId: null, name: 'noc', now })).key;
    globexKey = (await createApiKey(db, { id: newId(), tenantId: 'globex', name: 'globex-it', now })).key;
    const start = async (
      tenant: string,
      host: string,
      application: string,
      environment: 'production' | 'iso-production' | 'staging',
      clockSkewMs = 0,
    ) => {
      const token = (await createAgentToken(db, { id: newId(), tenantId: tenant, now })).token;
      const outbox = new MemoryOutbox(1000);
      const client = new CollectorClient(
        {
          url: `${base.replace('http', 'ws')}/ingest`,
          token,
          agent: { host, environment, application, version: '0.1.0' },
          batchSize: 50,
          reconnectMinMs: 50,
          reconnectMaxMs: 200,
          heartbeatMs: 5000,
          // An agent whose clock runs ahead says so in every batch's sentAt.
          ...(clockSkewMs ? { now: () => new Date(Date.now() + clockSkewMs) } : {}),
        },
        outbox,
        log,
      );
      agents.set(host, { client, outbox });
      client.start();
    };
    await start('acme', 'acme-web-01', 'shop', 'production');
    await start('acme', 'acme-db-01', 'shop', 'production');
    await start('acme', 'acme-iso-01', 'shop', 'iso-production', 3 * 60_000);
    await start('globex', 'globex-crm-01', 'crm', 'production');
    await start('acme', 'acme-batch-01', 'shop', 'staging');
    // Half an hour of history for the charts, then the current state: all green.
    const t0 = Date.now() - 30 * 60_000;
    for (const host of agents.keys()) {
      const history = Array.from({ length: 12 }, (_, i) =>
        result(
          'cpu',
          'ok',
          'cpu fine',
          { used_percent: 20 + 15 * Math.sin(i / 2) + (host.length % 7), load1: 0.5 + i / 10 },
          new Date(t0 + i * 150_000),
        ),
      );
      await send(host, [
        ...history,
        result('disk', 'ok', 'disk fine', { 'used_percent@/': 41, 'used_percent@/var': 63 }),
        result('backup', 'ok', 'newest backup 2 h old', { age_hours: 2 }),
      ]);
    }
    // One agent stops: it must stand out as silent.
    const batch = agents.get('acme-batch-01');
    await batch?.client.stop();
    agents.delete('acme-batch-01');
    userDataDir = mkdtempSync(join(tmpdir(), 'vigie-chromium-'));
    // A fresh profile needs launchPersistentContext: launch() refuses a --user-data-dir argument.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: WALL,
    });
  });

  afterAll(async () => {
    await context?.close();
    for (const a of agents.values()) await a.client.stop();
    await collector?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('serves the page and its assets with their content types, and nothing outside the static folder', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('/static/app.js');
    for (const [path, type] of [
      ['/static/app.js', /^text\/javascript/],
      ['/static/index.css', /^text\/css/],
      ['/static/charts.js', /^text\/javascript/],
      ['/static/favicon.svg', /^image\/svg\+xml/],
    ] as const) {
      const r = await fetch(`${base}${path}`);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type'), path).toMatch(type);
      const etag = r.headers.get('etag') ?? '';
      expect((await fetch(`${base}${path}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
    for (const path of [
      '/static/../routes.ts',
      '/static/%2e%2e/routes.ts',
      '/static/..%2froutes.ts',
      '/static/%2e%2e%2f%2e%2e%2fapp.ts',
      '/static/..%5croutes.ts',
      '/static/.hidden.js',
      '/static/nothing.js',
      '/static/',
      '/static/app.js%00.css',
    ]) {
      // fetch() would normalise the dots away: send the path as written.
      const r = await rawGet(base, path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('registerWebRoutes');
    }
  });

  it('refuses the live feed without a valid key, and a client key asking for another tenant', async () => {
    expect((await openLive(`${base}/api/live`)).status).toBe(401);
    expect((await openLive(`${base}/api/live?key=vgk_wrong`)).status).toBe(401);
    expect((await openLive(`${base}/api/live?key=${globexKey}&tenant=acme`)).status).toBe(403);
    const ok = await openLive(`${base}/api/live?key=${globexKey}`);
    expect(ok.status).toBe(200);
    expect(ok.contentType).toMatch(/^text\/event-stream/);
    await waitFor('ready event', () => ok.named.includes('ready'));
    ok.close();
  });

  it('shows a failing check as a ticket without a reload; keyboard Tab + Enter acknowledges it', async () => {
    const page = await newPage(WALL);
    await signIn(page, provider);
    await page.locator('.host-tile[data-host="acme-web-01"]').waitFor();
    await page.locator('.host-tile[data-host="globex-crm-01"]').waitFor();
    const silent = page.locator('.host-tile.silent[data-host="acme-batch-01"]');
    await silent.waitFor();
    expect(await silent.getAttribute('aria-label')).toMatch(/silent \(disconnected\)/);
    expect(await page.locator('.host-tile.silent').count()).toBe(1);
    // A marker that a reload would wipe out.
    await page.evaluate('window.noReload = true');
    const xss = '<img src=x onerror="window.pwned=1">';
    await send('acme-web-01', [
      result('disk', 'critical', `/var is 97% full ${xss}`, { 'used_percent@/var': 97 }),
    ]);
    const row = page.locator('tr.ticket[data-host="acme-web-01"]', { hasText: 'disk' });
    await row.waitFor({ timeout: 10_000 });
    expect(await page.evaluate<unknown>('window.noReload')).toBe(true);
    // Text from the API is shown as text, never run as HTML.
    expect(await row.locator('.message').textContent()).toContain(xss);
    expect(await page.evaluate<unknown>('window.pwned')).toBeUndefined();
    const ticketId = await row.getAttribute('data-ticket-id');
    if (!ticketId) throw new Error('the row has no ticket id');
    // The SLA countdown runs every second.
    const countdown = row.locator('.countdown');
    const first = await countdown.textContent();
    await waitFor('the countdown to tick', async () => (await countdown.textContent()) !== first, {
      timeoutMs: 3000,
      intervalMs: 100,
    });
    await shot(page, 'wall-provider-1920x1080');

    // Keyboard only: from the queue filter, Tab until the row's acknowledge button, then Enter.
    const ticket = await api<Ticket>(provider, `/api/tickets/${ticketId}`);
    expect(ticket.title).toContain('acme-web-01');
    const ackName = `Acknowledge ${ticket.title}`;
    await page.locator('#queue-filter').focus();
    await waitFor(
      'focus on the acknowledge button',
      async () => {
        await page.keyboard.press('Tab');
        return (await focusedLabel(page)) === ackName;
      },
      { timeoutMs: 15_000, intervalMs: 0 },
    );
    // The focus is visible.
    expect(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')).toBe(
      'solid',
    );
    await page.keyboard.press('Enter');
    const acked = await waitFor('acknowledged in the API', async () => {
      const t = await api<Ticket>(provider, `/api/tickets/${ticketId}`);
      return t.status === 'acknowledged' ? t : undefined;
    });
    expect(acked.acknowledgedAt).not.toBeNull();
    expect(acked.timeline.map((e) => `${e.kind}:${e.actor}`)).toContain('acknowledged:key:noc');
    // The page shows it too, from the live feed: the row has no acknowledge button any more.
    await row.locator('text=acknowledged').waitFor({ timeout: 10_000 });
    expect(await row.getByRole('button', { name: /^Acknowledge/ }).count()).toBe(0);
    await page.close();
  });

  it('acts from the ticket dialog: timeline, comment, acknowledge, escalate; Escape closes it', async () => {
    const page = await newPage(WALL);
    await signIn(page, provider);
    await send('acme-db-01', [result('backup', 'critical', 'newest backup is 49 h old', { age_hours: 49 })]);
    const row = page.locator('tr.ticket[data-host="acme-db-01"]', { hasText: 'backup' });
    await row.waitFor({ timeout: 10_000 });
    const ticketId = (await row.getAttribute('data-ticket-id')) ?? '';
    await row.getByRole('button', { name: /^Open / }).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('.timeline li', { hasText: 'opened' }).waitFor();
    await dialog.getByLabel('Comment').fill('looking at the backup job');
    await dialog.getByRole('button', { name: 'Add comment' }).click();
    await dialog.locator('.timeline li', { hasText: 'looking at the backup job' }).waitFor();
    await dialog.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await dialog.locator('.timeline li', { hasText: 'acknowledged' }).waitFor();
    await dialog.getByLabel('Escalate: reason').fill('needs the storage team');
    await dialog.getByRole('button', { name: 'Escalate' }).click();
    await dialog.locator('.timeline li', { hasText: 'needs the storage team' }).waitFor();
    await shot(page, 'wall-ticket-dialog-1920x1080');
    const t = await api<Ticket & { supportLevel: string }>(provider, `/api/tickets/${ticketId}`);
    expect(t.status).toBe('acknowledged');
    expect(t.supportLevel).toBe('N2');
    expect(t.timeline.map((e) => e.kind)).toEqual(['opened', 'comment', 'acknowledged', 'escalated']);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // Focus goes back to where it was (the row's Open button).
    await waitFor('focus back on the Open button', async () =>
      /^Open /.test((await focusedLabel(page)) ?? ''),
    );
    await page.close();
  });

  it('shows a host with its checks and charts of its metrics, and an application without parity data', async () => {
    const page = await newPage(WALL, [NO_PARITY]);
    await signIn(page, provider);
    await page.locator('.host-tile[data-host="acme-web-01"]').click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('table.checks tbody tr').first().waitFor();
    expect(await dialog.locator('table.checks tbody tr').count()).toBe(3);
    await dialog.locator('figure.chart-box canvas').first().waitFor();
    expect(await dialog.locator('figure.chart-box', { hasText: 'cpu.used_percent' }).count()).toBe(1);
    // A chart when the disk moved in the period (an earlier test filled /var), else a folded row.
    expect(
      await dialog
        .locator('figure.chart-box, .constant-list li', { hasText: 'filesystem.used_percent' })
        .count(),
    ).toBe(1);
    // The backup age did not change in the period: folded into the summary row, with its unit.
    expect(
      await dialog.locator('.constant-list li', { hasText: 'backup_freshness.age_hours' }).textContent(),
    ).toContain('= 2 h');
    await shot(page, 'wall-host-1920x1080');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Parity report of shop (acme)' }).click();
    await page.getByRole('dialog').getByText('No parity data for this application.').waitFor();
    await page.keyboard.press('Escape');
    await page.close();
  });

  it("shows an agent's clock skew on its tile and in its host dialog", async () => {
    const page = await newPage(WALL, [NO_PARITY]);
    await signIn(page, provider);
    const tile = page.locator('.host-tile[data-host="acme-iso-01"]');
    await tile.locator('.skew-tag').waitFor();
    expect(await tile.getAttribute('aria-label')).toMatch(/Clock (2 min 5\d|3 min 0\d) s ahead/);
    // An agent in time has no tag.
    expect(await page.locator('.host-tile[data-host="acme-web-01"] .skew-tag').count()).toBe(0);
    await tile.click();
    const dialog = page.getByRole('dialog');
    const skew = dialog.locator('.clock-skew');
    await skew.waitFor();
    expect(await skew.textContent()).toMatch(/^(2 min 5\d|3 min 0\d) s ahead/);
    expect(await skew.getAttribute('class')).toContain('skew-tag');
    await page.keyboard.press('Escape');
    await page.close();
  });

  it('shows a client key only its own tenant, on the page and on the live feed', async () => {
    const page = await newPage(LAPTOP, [WRONG_KEY]);
    await page.goto(`${base}/`);
    await page.getByLabel('API key').fill('vgk_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Unknown or revoked API key.' }).waitFor();
    await signIn(page, globexKey);
    await page.locator('.host-tile[data-host="globex-crm-01"]').waitFor();
    const providerFeed = await openLive(`${base}/api/live?key=${provider}`);
    const globexFeed = await openLive(`${base}/api/live?key=${globexKey}`);
    await waitFor(
      'both feeds ready',
      () => providerFeed.named.includes('ready') && globexFeed.named.includes('ready'),
    );
    // An event of tenant A, then one of tenant B: B's stream gets the second, never the first.
    await send('acme-iso-01', [result('disk', 'critical', '/ is 99% full', { 'used_percent@/': 99 })]);
    await waitFor('the acme events on the provider feed', () =>
      providerFeed.events.some((e) => e.tenant === 'acme' && e.type === 'ticket'),
    );
    await send('globex-crm-01', [result('backup', 'warning', 'newest backup 30 h old', { age_hours: 30 })]);
    await waitFor('the globex ticket on the globex feed', () =>
      globexFeed.events.some((e) => e.tenant === 'globex' && e.type === 'ticket'),
    );
    expect(globexFeed.events.length).toBeGreaterThan(0);
    expect(globexFeed.events.filter((e) => e.tenant !== 'globex')).toEqual([]);
    providerFeed.close();
    globexFeed.close();

    await page.locator('tr.ticket[data-host="globex-crm-01"]').waitFor({ timeout: 10_000 });
    const text = (await page.locator('body').textContent()) ?? '';
    for (const name of ['acme-web-01', 'acme-db-01', 'acme-iso-01', 'ACME', 'shop'])
      expect(text).not.toContain(name);
    expect(await page.locator('[data-tenant="acme"]').count()).toBe(0);
    expect(await page.locator('#tenant-filter-label').isHidden()).toBe(true);
    await shot(page, 'laptop-client-1366x768');
    await page.close();
  });

  it('fits a laptop screen for the provider, with large type for a wall screen', async () => {
    const page = await newPage(LAPTOP);
    await signIn(page, provider);
    await page.locator('tr.ticket').first().waitFor();
    await shot(page, 'laptop-provider-1366x768');
    // No horizontal scrolling of the page on a laptop.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      LAPTOP.width,
    );
    await page.setViewportSize(WALL);
    await page.getByRole('button', { name: 'Large type' }).click();
    expect(await page.getByRole('button', { name: 'Large type' }).getAttribute('aria-pressed')).toBe('true');
    await shot(page, 'wall-large-type-1920x1080');
    await page.getByRole('button', { name: 'Large type' }).click();
    await page.close();
    expect(consoleErrors).toEqual([]);
  });
});

/** The accessible name given by aria-label of the focused element. */
function focusedLabel(page: Page): Promise<string | null> {
  return page.evaluate<string | null>("document.activeElement?.getAttribute('aria-label') ?? null");
}

/** A GET with the path sent exactly as written (no URL normalisation). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
