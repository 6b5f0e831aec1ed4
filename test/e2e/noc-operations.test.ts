// The NOC page's daily operations in a real headless Chromium against a real collector: a host with 40+
// series and all its charts (axes, units), the parity diff of two real agent processes with exactly the
// expected rows, every ticket workflow action from the keyboard, a maintenance window made from the page that
// silences a failing check (no ticket, no notification) until it is ended, the read-only client role (no
// status buttons, 403 from the API), and the French page with no English left. First paint is measured;
// screenshots at 1920×1080 and 1366×768 go to test-artifacts/noc-operations/.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { Receiver } from '../../packages/collector/src/connectors/testing/receiver.js';
import { EN } from '../../packages/collector/web/src/i18n/en.js';
import { FR } from '../../packages/collector/web/src/i18n/fr.js';
import { ensureBinary } from '../support/packages.js';
import { AGENT_CLI, type Spawned, spawnCli } from '../support/process.js';
import { waitFor } from '../support/wait.js';

const log = pino({ level: 'silent' });
const newId = createIdGenerator();
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/noc-operations/', import.meta.url));
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const WALL = { width: 1920, height: 1080 };
const LAPTOP = { width: 1366, height: 768 };

interface Ticket {
  id: string;
  host: string;
  checkId: string;
  status: string;
  assignee: string | null;
  supportLevel: string;
  timeline: Array<{ kind: string; actor: string }>;
}

/** The metrics of the busy host: 49 series over 8 checks (and their durations), 6 of them constant. */
function busyMetrics(i: number): Array<{ checkId: string; type: string; metrics: Record<string, number> }> {
  const wave = (k: number) => Math.sin((i + k) / 2);
  const per = (names: string[], field: string, f: (n: number) => number) =>
    Object.fromEntries(names.map((n, k) => [`${field}@${n}`, f(k)]));
  const mounts = ['/', '/var', '/home', '/srv'];
  const disks = ['sda', 'sdb', 'sdc', 'sdd'];
  const nics = ['eth0', 'eth1', 'eth2', 'eth3'];
  return [
    {
      checkId: 'cpu',
      type: 'cpu',
      metrics: {
        used_percent: 40 + 10 * wave(0),
        load1: 1 + wave(1),
        load5: 1.2 + wave(2) / 2,
        load15: 1.1 + wave(3) / 4,
        iowait_percent: 3 + wave(4),
      },
    },
    {
      checkId: 'memory',
      type: 'memory',
      metrics: {
        used_bytes: 6e9 + 5e8 * wave(0),
        total_bytes: 16e9,
        used_percent: 38 + 3 * wave(1),
        swap_used_bytes: 1e8 + 1e7 * wave(2),
      },
    },
    {
      checkId: 'fs',
      type: 'filesystem',
      metrics: {
        ...per(mounts, 'used_percent', (k) => 50 + 5 * k + wave(k)),
        ...per(mounts, 'inodes_used_percent', (k) => 10 + k + wave(k) / 3),
        ...per(mounts, 'free_bytes', (k) => 2e10 - 1e9 * k + 1e8 * wave(k)),
      },
    },
    {
      checkId: 'io',
      type: 'disk-io',
      metrics: {
        ...per(disks, 'read_bytes_per_second', (k) => 1e6 * (k + 1) * (1.5 + wave(k))),
        ...per(disks, 'write_bytes_per_second', (k) => 2e6 * (k + 1) * (1.5 + wave(k + 1))),
        ...per(disks, 'busy_percent', (k) => 5 * (k + 1) * (1.2 + wave(k))),
      },
    },
    {
      checkId: 'net',
      type: 'network',
      metrics: {
        ...per(nics, 'rx_bytes_per_second', (k) => 3e5 * (k + 1) * (1.5 + wave(k))),
        ...per(nics, 'tx_bytes_per_second', (k) => 1e5 * (k + 1) * (1.5 + wave(k + 2))),
        ...per(nics, 'errors', () => 0),
      },
    },
    { checkId: 'web', type: 'http', metrics: { latency_ms: 120 + 30 * wave(0), certificate_days: 58 } },
    { checkId: 'db-port', type: 'tcp', metrics: { connect_ms: 2 + wave(1) } },
    { checkId: 'backup', type: 'backup-freshness', metrics: { age_hours: 3 + i / 4 } },
  ];
}

describe('NOC page: daily operations in a real browser', () => {
  let collector: Collector;
  let base: string;
  let provider: string;
  let clientKey: string;
  let hook: Receiver;
  let context: BrowserContext;
  let userDataDir: string;
  let dir: string;
  const agents = new Map<string, { client: CollectorClient; outbox: MemoryOutbox }>();
  const processes: Spawned[] = [];
  const consoleErrors: string[] = [];

  const send = async (host: string, results: Result[]) => {
    const a = agents.get(host);
    if (!a) throw new Error(`no agent ${host}`);
    for (const r of results) a.outbox.push({ kind: 'result', result: r });
    await waitFor(`delivery from ${host}`, () => a.outbox.size() === 0);
  };
  const result = (
    checkId: string,
    type: string,
    status: Result['status'],
    message: string,
    metrics: Record<string, number> = {},
    at = new Date(),
  ): Result => ({
    id: newId(),
    checkId,
    type,
    category: type === 'backup-freshness' ? 'backup' : 'performance',
    status,
    metrics,
    message,
    observedAt: at.toISOString(),
    durationMs: 4,
  });
  const call = async <T>(key: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json().catch(() => undefined)) as T };
  };
  const api = async <T>(path: string): Promise<T> => {
    const r = await call<T>(provider, 'GET', path);
    expect(r.status, path).toBe(200);
    return r.body;
  };
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
  const signIn = async (page: Page, key: string) => {
    await page.goto(`${base}/`);
    await page.locator('#key').fill(key);
    await page.locator('#login button[type="submit"]').click();
    await page.locator('#live[data-state="live"]').waitFor({ timeout: 15_000 });
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  const startClient = async (
    tenant: string,
    host: string,
    application: string,
    environment: 'production' | 'iso-production' | 'staging',
  ) => {
    const db = collector.store.db;
    const token = (await createAgentToken(db, { id: newId(), tenantId: tenant, host, now: new Date() }))
      .token;
    const outbox = new MemoryOutbox(5000);
    const client = new CollectorClient(
      {
        url: `${base.replace('http', 'ws')}/ingest`,
        token,
        agent: { host, environment, application, version: '0.1.0' },
        batchSize: 200,
        reconnectMinMs: 50,
        reconnectMaxMs: 200,
        heartbeatMs: 5000,
      },
      outbox,
      log,
    );
    agents.set(host, { client, outbox });
    client.start();
  };

  beforeAll(async () => {
    const executablePath = await ensureBinary('chromium', 'chromium');
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'vigie-nocops-'));
    hook = await Receiver.start(() => ({ status: 200 }));
    collector = await buildCollector(
      loadCollectorConfig(undefined, {
        dataDir: join(dir, 'data'),
        listen: { host: '127.0.0.1', port: 0 },
        tickets: { confirm: { failures: 1, recoveries: 1 } },
        rules: [
          { id: 'fs-full', metric: 'used_percent', type: 'filesystem', warning: 85, critical: 95 },
          { id: 'cpu-busy', metric: 'used_percent', type: 'cpu', warning: 80, critical: 95 },
        ],
        connectors: [{ kind: 'webhook', name: 'itsm', url: hook.url(), secret: 'a-long-shared-secret-1234' }],
      }),
      { log },
    );
    base = await collector.listen();
    const db = collector.store.db;
    const now = new Date();
    await addTenant(db, 'acme', 'ACME Distribution', now);
    provider = (await createApiKey(db, { id: newId(), tenantId: null, name: 'noc', now })).key;
    clientKey = (
      await createApiKey(db, { id: newId(), tenantId: 'acme', name: 'acme-dsi', now, role: 'client' })
    ).key;
    await startClient('acme', 'srv-busy-01', 'erp', 'production');
    await startClient('acme', 'srv-app-01', 'erp', 'production');
    // Half an hour of history for the busy host.
    const t0 = Date.now() - 30 * 60_000;
    const history: Result[] = [];
    for (let i = 0; i < 12; i++)
      for (const c of busyMetrics(i))
        history.push({
          ...result(c.checkId, c.type, 'ok', 'ok', c.metrics, new Date(t0 + i * 150_000)),
          durationMs: 3 + (i % 5),
        });
    await send('srv-busy-01', history);
    await send('srv-app-01', [result('cpu', 'cpu', 'ok', 'ok', { used_percent: 12 })]);
    userDataDir = mkdtempSync(join(tmpdir(), 'vigie-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: WALL,
    });
  });

  afterAll(async () => {
    await context?.close();
    await Promise.all(processes.map((p) => p.stop()));
    for (const a of agents.values()) await a.client.stop();
    await collector?.close();
    await hook?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('paints the page in under a second and keeps the strict CSP', async () => {
    const page = await newPage(WALL);
    const r = await page.goto(`${base}/`);
    expect(r?.headers()['content-security-policy']).toContain("script-src 'self'");
    const paint = await page.evaluate<number>(
      "new Promise((resolve) => { const get = () => performance.getEntriesByName('first-contentful-paint')[0]; const e = get(); if (e) resolve(e.startTime); else new PerformanceObserver((l) => resolve(l.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true }); })",
    );
    const started = Date.now();
    await page.locator('#key').fill(provider);
    await page.locator('#login button[type="submit"]').click();
    await page.locator('.host-tile[data-host="srv-busy-01"]').waitFor();
    const signedIn = Date.now() - started;
    console.log(
      `[noc-operations] first contentful paint ${paint.toFixed(0)} ms; sign-in to fleet shown ${signedIn} ms`,
    );
    writeFileSync(
      join(ARTIFACTS, 'first-paint.json'),
      JSON.stringify({ firstContentfulPaintMs: Math.round(paint), signInToFleetMs: signedIn }),
    );
    expect(paint).toBeLessThan(1000);
    await page.close();
  });

  it('shows all the charts of a host with 57 series, with axes, units and threshold lines; constant series folded', async () => {
    const page = await newPage(WALL);
    await signIn(page, provider);
    await page.locator('.host-tile[data-host="srv-busy-01"]').click();
    const dialog = page.locator('#host-dialog');
    await dialog.locator('figure.chart-box canvas').first().waitFor();
    // 57 series in 30 check metrics (8 of them the checks' durations): 27 moved (a chart each), 3 did not
    // (folded: network errors, memory total_bytes, http certificate_days).
    await waitFor(
      'every chart drawn',
      async () => (await dialog.locator('figure.chart-box canvas').count()) === 27,
    );
    expect(await dialog.locator('figure.chart-box').count()).toBe(27);
    expect(await dialog.locator('.constant-list li').count()).toBe(3);
    expect(await dialog.locator('.constant-list li', { hasText: 'network.errors' }).textContent()).toContain(
      'eth3 = 0',
    );
    expect(
      await dialog.locator('.constant-list li', { hasText: 'memory.total_bytes' }).textContent(),
    ).toContain('16 GB');
    const unit = async (name: string) =>
      dialog.locator('figure.chart-box', { hasText: name }).locator('.chart-unit').textContent();
    expect(await unit('memory.used_bytes')).toBe('(bytes)');
    expect(await unit('fs · filesystem.used_percent')).toBe('(%)');
    expect(await unit('web · http.latency_ms')).toBe('(milliseconds)');
    expect(await unit('disk_io.read_bytes_per_second')).toBe('(bytes per second)');
    // The filesystem chart: one line per mount, the warning and critical levels of rule fs-full, a 0-100 % axis.
    const fs = dialog.locator('figure.chart-box', { hasText: 'fs · filesystem.used_percent' });
    expect(await fs.getAttribute('aria-label')).toBe(
      'fs · filesystem.used_percent: axis from 0 % to 100 %, warning 85 %, critical 95 %',
    );
    expect(await fs.locator('.u-legend .u-series').allTextContents()).toEqual(
      expect.arrayContaining([
        expect.stringContaining('/var'),
        expect.stringContaining('warning 85 %'),
        expect.stringContaining('critical 95 %'),
      ]),
    );
    // Bytes are written as bytes, never as 2.58e+10.
    expect(await dialog.locator('.charts').textContent()).not.toMatch(/e\+\d/);
    // One crosshair for every chart: hovering one shows the time in all the legends.
    await fs.scrollIntoViewIfNeeded();
    const box = await fs.locator('.u-over').boundingBox();
    if (!box) throw new Error('no plot area');
    await fs.locator('.u-over').hover({ position: { x: box.width * 0.6, y: box.height / 2 } });
    await fs.locator('.u-over').hover({ position: { x: box.width * 0.9, y: box.height / 2 } });
    let seen: string[] = [];
    await waitFor(
      'the shared crosshair',
      async () => {
        const times = await dialog.locator('.u-legend .u-series:first-child .u-value').allTextContents();
        seen = times;
        return times.length === 27 && times.every((x) => x !== '—' && x === times[0]);
      },
      { timeoutMs: 5000 },
    ).catch(async (err: Error) => {
      throw new Error(
        `${err.message}: ${JSON.stringify(seen)} ${JSON.stringify(box)} cursors: ${await page.evaluate(`JSON.stringify([...document.querySelectorAll('#host-dialog .u-cursor-x')].slice(0, 4).map((e) => e.className + ' ' + e.style.transform))`)}`,
      );
    });
    await shot(page, 'wall-host-57-series-1920x1080');
    // The period: 7 days (the stored history), then a custom range.
    await dialog.locator('button[data-range="7d"]').click();
    await waitFor(
      '7-day charts',
      async () =>
        (await dialog.locator('button[data-range="7d"]').getAttribute('aria-pressed')) === 'true' &&
        (await dialog.locator('figure.chart-box canvas').count()) === 27,
    );
    await page.setViewportSize(LAPTOP);
    await shot(page, 'laptop-host-57-series-1366x768');
    await page.close();
  });

  it('shows the parity of two real agents as a side-by-side diff with exactly the expected rows; ignore and accept', async () => {
    const keyFile = join(dir, 'fingerprint.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const appEnv = (env: string, secret: string, pool: number) =>
      `DB_HOST=db-${env}.internal\nDB_PASSWORD=${secret}\nPOOL_SIZE=${pool}\nFEATURE_X=on\n`;
    const db = collector.store.db;
    const startAgent = async (
      environment: string,
      host: string,
      secret: string,
      pool: number,
      overrides: Record<string, string>,
    ) => {
      const home = join(dir, host);
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, 'app.env'), appEnv(environment, secret, pool));
      const token = (await createAgentToken(db, { id: newId(), tenantId: 'acme', host, now: new Date() }))
        .token;
      const cfg = join(home, 'agent.yaml');
      writeFileSync(
        cfg,
        `collector: { url: "${base.replace('http', 'ws')}/ingest", token: ${token} }
host: { name: ${host}, environment: ${environment}, application: shop }
delivery: { reconnectMin: 100ms, reconnectMax: 1s, outboxDir: ${join(home, 'outbox')} }
checks:
  - id: fingerprint
    type: fingerprint
    schedule: "*/5 * * * * *"
    timeout: 20s
    packages: false
    runtimes: false
    secretHashKeyFile: ${keyFile}
    configFiles: [{ path: ${join(home, 'app.env')}, as: shop/app.env }]
    overrides: ${JSON.stringify(overrides)}
`,
      );
      processes.push(spawnCli(AGENT_CLI, ['run', '--config', cfg]));
    };
    await startAgent('production', 'shop-prod', 'Prod-S3cret!', 20, {});
    await startAgent('iso-production', 'shop-iso', 'Iso-S3cret?', 10, {
      'cpu.cores': '1',
      'memory.total_bytes': '1073741824',
    });
    // The application exists once an agent said hello.
    await waitFor(
      'the ignore pattern set',
      async () => {
        const r = await call(provider, 'PUT', '/api/applications/shop/parity/ignore?tenant=acme', {
          patterns: ['config.shop/app.env.DB_HOST'],
        });
        return r.status === 200;
      },
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    await waitFor(
      'the parity report of both hosts',
      async () => {
        const r = await call<{ comparisons: Array<{ environment: string; differences: unknown[] }> }>(
          provider,
          'GET',
          '/api/applications/shop/parity?tenant=acme',
        );
        return r.status === 200 && (r.body.comparisons[0]?.differences.length ?? 0) >= 5;
      },
      { timeoutMs: 40_000, intervalMs: 500 },
    );
    const page = await newPage(WALL);
    await signIn(page, provider);
    await page.locator('button[aria-label="Parity report of shop (acme)"]').click();
    const dialog = page.locator('#app-dialog');
    await dialog.locator('table.parity-diff').waitFor();
    const rows = async () =>
      dialog
        .locator('tr.diff')
        .evaluateAll((trs) =>
          trs.map((tr) =>
            [...tr.querySelectorAll('td')]
              .slice(0, 4)
              .map((td) => td.textContent?.replace(/\s+/g, ' ').trim()),
          ),
        );
    // Grouped by kind (configuration files, then capacity), by severity and name within a kind.
    expect(await rows()).toEqual([
      ['config.shop/app.env.DB_PASSWORD', 'differs', 'differs', 'warning secret differs'],
      ['config.shop/app.env.POOL_SIZE', '20', '10', 'warning different configuration value'],
      ['file.shop/app.env.sha256', 'differs', 'differs', 'info different file content'],
      [
        'cpu.cores',
        expect.stringMatching(/^\d+$/),
        '1',
        'warning fewer CPU cores or less memory than production',
      ],
      [
        'memory.total_bytes',
        expect.stringMatching(/^\d+$/),
        '1073741824',
        'warning fewer CPU cores or less memory than production',
      ],
    ]);
    expect(await dialog.locator('tbody[data-kind] .kind-row').allTextContents()).toEqual([
      'Configuration files (3)',
      'Capacity (2)',
    ]);
    // The severity filter.
    await dialog.locator('#parity-severity').selectOption('info');
    expect((await rows()).map((r) => r[0])).toEqual(['file.shop/app.env.sha256']);
    await dialog.locator('#parity-severity').selectOption('');
    await shot(page, 'wall-parity-diff-1920x1080');
    // Ignore one item, accept another: shown as reviewed, with who and when, and kept in the API.
    await dialog.getByRole('button', { name: 'Ignore file.shop/app.env.sha256' }).click();
    await dialog.locator('tr.diff.reviewed[data-item="file.shop/app.env.sha256"]').waitFor();
    await dialog
      .getByRole('button', { name: 'Accept the current state of config.shop/app.env.POOL_SIZE' })
      .click();
    const accepted = dialog.locator('tr.diff.reviewed[data-item="config.shop/app.env.POOL_SIZE"]');
    await accepted.waitFor();
    expect(await accepted.locator('.decided').textContent()).toMatch(/^accepted by key:noc, /);
    const report = await api<{
      comparisons: Array<{
        differences: Array<{ item: string }>;
        reviewed: Array<{ item: string; decision: string; decidedBy: string }>;
      }>;
    }>('/api/applications/shop/parity?tenant=acme');
    expect(report.comparisons[0]?.reviewed.map((d) => [d.item, d.decision, d.decidedBy]).sort()).toEqual([
      ['config.shop/app.env.POOL_SIZE', 'accept', 'key:noc'],
      ['file.shop/app.env.sha256', 'ignore', 'key:noc'],
    ]);
    expect(report.comparisons[0]?.differences.map((d) => d.item).sort()).toEqual([
      'config.shop/app.env.DB_PASSWORD',
      'cpu.cores',
      'memory.total_bytes',
    ]);
    // The Markdown report a click away.
    const download = page.waitForEvent('download');
    await dialog.locator('#parity-markdown').click();
    expect((await download).suggestedFilename()).toBe('parity-shop.md');
    await page.setViewportSize(LAPTOP);
    await shot(page, 'laptop-parity-diff-1366x768');
    await page.close();
  });

  it('works a ticket through every workflow action from the keyboard', async () => {
    const page = await newPage(WALL);
    await signIn(page, provider);
    await send('srv-app-01', [result('cpu', 'cpu', 'critical', 'load très élevée', { used_percent: 99 })]);
    const row = page.locator('tr.ticket[data-host="srv-app-01"]');
    await row.waitFor({ timeout: 10_000 });
    const id = (await row.getAttribute('data-ticket-id')) ?? '';
    // j selects the first row of the queue (its Open button takes the focus); Enter opens it.
    await page.locator('body').focus();
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    const dialog = page.locator('#ticket-dialog');
    await dialog.locator('.timeline li').first().waitFor();
    // An action is over when the page says so (then the next key is an action again).
    const done = (label: string) =>
      dialog.locator('#ticket-action-status', { hasText: `${label}: done.` }).waitFor();
    const status = async (s: string, label: string) => {
      await dialog.locator(`#ticket-status[data-status="${s}"]`).waitFor();
      await done(label);
    };
    await page.keyboard.press('a');
    await status('acknowledged', 'Acknowledge');
    await page.keyboard.press('g');
    await page.keyboard.type('alice');
    await page.keyboard.press('Enter');
    await dialog.locator('.timeline li[data-kind="assigned"]').waitFor();
    await done('Assign');
    await page.keyboard.press('s');
    await status('in_progress', 'Start');
    await page.keyboard.press('w');
    await status('waiting', 'Waiting for client');
    await dialog.locator('.countdown', { hasText: 'paused (client)' }).waitFor();
    await shot(page, 'wall-ticket-waiting-1920x1080');
    await page.keyboard.press('u');
    await status('in_progress', 'Resume');
    await page.keyboard.press('e');
    await page.keyboard.type('needs the DBA');
    await page.keyboard.press('Enter');
    await dialog.locator('.timeline li[data-kind="escalated"]').waitFor();
    await done('Escalate');
    await page.keyboard.press('m');
    await page.keyboard.type('restarted the batch');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await dialog.locator('.timeline li', { hasText: 'restarted the batch' }).waitFor();
    await done('Comment');
    await page.keyboard.press('r');
    await status('resolved', 'Resolve');
    await page.keyboard.press('c');
    await status('closed', 'Close');
    const t = await api<Ticket>(`/api/tickets/${id}`);
    expect(t.timeline.map((e) => e.kind)).toEqual([
      'opened',
      'acknowledged',
      'assigned',
      'started',
      'waiting_for_client',
      'resumed',
      'escalated',
      'comment',
      'resolved',
      'closed',
    ]);
    expect(t.timeline.slice(1).every((e) => e.actor === 'key:noc')).toBe(true);
    expect([t.assignee, t.supportLevel]).toEqual(['alice', 'N2']);
    await page.keyboard.press('Escape');
    await page.close();
  });

  it('folds repeats of a ticket into one timeline row with a count', async () => {
    const t0 = Date.now();
    await send(
      'srv-app-01',
      Array.from({ length: 6 }, (_, i) =>
        result('mem', 'memory', 'warning', 'mémoire basse', { used_percent: 91 }, new Date(t0 + i * 1000)),
      ),
    );
    const page = await newPage(LAPTOP);
    await signIn(page, provider);
    const row = page.locator('tr.ticket[data-host="srv-app-01"]', { hasText: 'mem' });
    await row.waitFor();
    await row.locator('button[data-action="open"]').click();
    const folded = page.locator('#ticket-dialog .timeline li[data-kind="occurrence"]');
    await folded.waitFor();
    expect(await folded.count()).toBe(1);
    expect(await folded.getAttribute('data-count')).toBe('5');
    expect(await folded.textContent()).toContain('×5');
    await shot(page, 'laptop-ticket-folded-1366x768');
    await page.close();
  });

  it('silences a failing check with a window made in the page (no ticket, no notification); its end lets the next failure open one', async () => {
    const page = await newPage(WALL);
    await signIn(page, provider);
    await page.keyboard.press('m');
    const panel = page.locator('#panel-dialog');
    await panel.locator('#form-window').waitFor();
    await panel.locator('#w-host').fill('srv-app-01');
    await panel.locator('#w-check').fill('backup');
    await panel.locator('#w-reason').fill('backup server migration');
    await panel.locator('#w-duration').fill('2h');
    await panel.locator('#form-window button[type="submit"]').click();
    const running = panel.locator('table.windows tr', { hasText: 'backup server migration' });
    await running.waitFor();
    await shot(page, 'wall-maintenance-1920x1080');
    await page.keyboard.press('Escape');
    const before = hook.requests.length;
    await send('srv-app-01', [
      result('backup', 'backup-freshness', 'critical', 'sauvegarde absente', { age_hours: 50 }),
    ]);
    await collector.sweep();
    // Nothing opened: no row, no ticket in the API, no notification.
    expect(await page.locator('tr.ticket[data-host="srv-app-01"]', { hasText: 'backup' }).count()).toBe(0);
    expect(
      (await api<Ticket[]>('/api/tickets?host=srv-app-01')).filter((x) => x.checkId === 'backup'),
    ).toEqual([]);
    expect(hook.requests.slice(before).filter((r) => r.body.includes('"checkId":"backup"'))).toEqual([]);
    // The host shows the window.
    await page.locator('.host-tile[data-host="srv-app-01"]').click();
    await page.locator('#host-dialog .maintenance-banner', { hasText: 'backup server migration' }).waitFor();
    await page.keyboard.press('Escape');
    // End it from the page; the next failure opens a ticket, and the receiver hears of it.
    await page.keyboard.press('m');
    await panel
      .locator('table.windows tr', { hasText: 'backup server migration' })
      .getByRole('button', { name: 'End now' })
      .click();
    await panel
      .locator('table.windows tr', { hasText: 'backup server migration' })
      .locator('.tag', { hasText: 'ended' })
      .waitFor();
    await page.keyboard.press('Escape');
    await send('srv-app-01', [
      result('backup', 'backup-freshness', 'critical', 'sauvegarde absente', { age_hours: 51 }),
    ]);
    await page
      .locator('tr.ticket[data-host="srv-app-01"]', { hasText: 'backup' })
      .waitFor({ timeout: 10_000 });
    await waitFor('the notification', () =>
      hook.requests
        .slice(before)
        .some((r) => r.body.includes('"checkId":"backup"') && r.body.includes('"kind":"opened"')),
    );
    await page.close();
  });

  it('lets a client key read and comment but not change a ticket: no buttons in the page, 403 from the API', async () => {
    const page = await newPage(LAPTOP, [/status of 403/]);
    await signIn(page, clientKey);
    const row = page.locator('tr.ticket[data-host="srv-app-01"]', { hasText: 'backup' });
    await row.waitFor();
    expect(await row.getByRole('button', { name: /^Acknowledge/ }).count()).toBe(0);
    await row.locator('button[data-action="open"]').click();
    const dialog = page.locator('#ticket-dialog');
    await dialog.locator('#form-comment').waitFor();
    for (const action of ['acknowledge', 'start', 'waiting', 'resume', 'resolve', 'close'])
      expect(await dialog.locator(`#do-${action}`).count()).toBe(0);
    expect(await dialog.locator('#form-assign, #form-escalate').count()).toBe(0);
    // Keys do nothing either.
    await dialog.locator('#ticket-title').focus();
    await page.keyboard.press('a');
    await page.keyboard.press('r');
    await dialog.locator('#comment-text').fill('nous avons relancé le serveur de sauvegarde');
    await dialog.locator('#form-comment button[type="submit"]').click();
    await dialog.locator('.timeline li', { hasText: 'nous avons relancé' }).waitFor();
    const id = (await row.getAttribute('data-ticket-id')) ?? '';
    for (const action of ['acknowledge', 'resolve', 'close', 'waiting']) {
      const r = await call<{ error: string }>(clientKey, 'POST', `/api/tickets/${id}/${action}`, {});
      expect([action, r.status, r.body.error]).toEqual([action, 403, 'read_only_role']);
    }
    expect((await api<Ticket>(`/api/tickets/${id}`)).status).toBe('open');
    expect(await page.locator('#tenants').isHidden()).toBe(true);
    await shot(page, 'laptop-client-ticket-1366x768');
    await page.setViewportSize(WALL);
    await shot(page, 'wall-client-ticket-1920x1080');
    await page.close();
  });

  it('speaks French throughout once chosen, with dates in the tenant’s zone, and no English left', async () => {
    await call(provider, 'PATCH', '/api/tenants/acme', { timeZone: 'Europe/Paris' });
    const page = await newPage(WALL, [/status of 404 .*\/parity/]);
    await signIn(page, provider);
    await page.locator('#locale').selectOption('fr');
    await page.locator('#queue-h', { hasText: 'File des tickets' }).waitFor();
    expect((await call<{ locale: string }>(provider, 'GET', '/api/me')).body.locale).toBe('fr');
    // Data shown as is (names, ids, messages the agents wrote) is not page text: set it aside.
    const data = [
      'ACME Distribution',
      'acme',
      'srv-busy-01',
      'srv-app-01',
      'shop-prod',
      'shop-iso',
      'shop',
      'erp',
      'backup',
      'cpu',
      'mem',
      'fingerprint',
      'load très élevée',
      'mémoire basse',
      'sauvegarde absente',
      'key:noc',
      'alice',
      'Vigie NOC',
      'English',
      'Français',
      'P1',
      'P2',
      'P3',
      'P4',
      'N1',
      'N2',
      'SLA',
    ];
    const english = Object.entries(EN)
      .filter(([k, v]) => FR[k as keyof typeof FR] !== v && v.replace(/\{\w+\}/g, '').trim().length > 3)
      .map(([, v]) => v.split(/\{\w+\}/)[0]?.trim() ?? '')
      .filter((v) => v.length > 3);
    // English words of the page (not those French writes the same: ticket, client, large, minute, maintenance).
    const ENGLISH_WORDS =
      /\b(the|and|of|to|ago|open|opened|hosts?|due|paused|hours|none|loading|silent|status|priority|severity|search|refresh|sign|keys|history|request|tenants?|response|acknowledge|comment|close|escalate|resolve|start|resume|waiting|overdue|breached|risk|seconds?|days?|last|seen|checks?)\b/i;
    const pageText = async () => {
      const text = await page.evaluate<string>(
        `(() => {
          const parts = [];
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const el = n.parentElement;
            if (!el || el.closest('[hidden], script, style, #locale, .u-legend .u-label') || !el.checkVisibility()) continue;
            parts.push(n.textContent);
          }
          for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
            if (el.closest('[hidden], #locale') || !el.checkVisibility()) continue;
            for (const a of ['aria-label', 'placeholder', 'title']) if (el.getAttribute(a)) parts.push(el.getAttribute(a));
          }
          return parts.join('\\n');
        })()`,
      );
      let rest = text;
      for (const d of data.sort((a, b) => b.length - a.length)) rest = rest.split(d).join(' ');
      // Metric and check identifiers (used_percent, disk-io.read_bytes_per_second, ...) are not words of the page.
      return rest.replace(/[\w./@-]*[._@/][\w./@-]*/g, ' ');
    };
    const check = async (where: string) => {
      const text = await pageText();
      // Whole words only: "Comment" is in "Commentaire", and that is French.
      const leftovers = english.filter((e) =>
        new RegExp(`(^|[^\\p{L}])${e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\p{L}]|$)`, 'u').test(text),
      );
      expect(leftovers, `English strings on the French page (${where})`).toEqual([]);
      expect(text.match(ENGLISH_WORDS)?.[0], `an English word on the French page (${where})`).toBeUndefined();
      return text;
    };
    const main = await check('queue and fleet');
    expect(main).toContain('File des tickets');
    expect(main).toMatch(/il y a \d+ (s|min)/);
    await shot(page, 'wall-french-1920x1080');
    // A ticket: dates in the tenant's zone, named.
    await page
      .locator('tr.ticket[data-host="srv-app-01"]', { hasText: 'backup' })
      .locator('button[data-action="open"]')
      .click();
    const dialog = page.locator('#ticket-dialog');
    await dialog.locator('.timeline li').first().waitFor();
    const ticketText = await check('ticket dialog');
    expect(ticketText).toContain('Prendre en compte');
    // Dates in French, in the tenant's zone (Paris), the zone named.
    expect(await dialog.locator('.facts').textContent()).toMatch(
      /Ouvert le\s*\d{1,2} (janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) \d{4}[ ,à]+\d{2}:\d{2} UTC\+[12]/,
    );
    await page.keyboard.press('Escape');
    await page.locator('.host-tile[data-host="srv-busy-01"]').click();
    await page.locator('#host-dialog figure.chart-box canvas').first().waitFor();
    await check('host view');
    await page.setViewportSize(LAPTOP);
    await shot(page, 'laptop-french-host-1366x768');
    await page.keyboard.press('Escape');
    await page.keyboard.press('m');
    await page.locator('#panel-dialog table.windows').first().waitFor();
    await check('maintenance panel');
    await page.keyboard.press('Escape');
    await page.keyboard.press('h');
    await page.locator('#history-rows tr').first().waitFor();
    await check('history panel');
    await page.keyboard.press('Escape');
    await page.locator('#locale').selectOption('en');
    await page.locator('#queue-h', { hasText: 'Ticket queue' }).waitFor();
    await page.close();
  });

  it('fits both screens without horizontal scrolling, in large type too, and logged no error', async () => {
    const page = await newPage(LAPTOP);
    await signIn(page, provider);
    await page.locator('tr.ticket').first().waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      LAPTOP.width,
    );
    await shot(page, 'laptop-queue-1366x768');
    await page.setViewportSize(WALL);
    await page.locator('button[data-tile="p1"]').click();
    expect(await page.locator('button[data-tile="p1"]').getAttribute('aria-pressed')).toBe('true');
    await shot(page, 'wall-queue-p1-filter-1920x1080');
    await page.locator('#large').click();
    // Large type: every action button of the queue is whole inside its cell.
    const clipped = await page.evaluate<number>(
      "[...document.querySelectorAll('#queue button')].filter((b) => { const r = b.getBoundingClientRect(); const c = b.closest('td').getBoundingClientRect(); return r.right > c.right + 1 || r.width < b.scrollWidth; }).length",
    );
    expect(clipped).toBe(0);
    await shot(page, 'wall-large-type-1920x1080');
    await page.locator('#large').click();
    await page.close();
    expect(consoleErrors).toEqual([]);
  });
});
