// The NOC page's work-log form (régie) in a real headless Chromium: an engineer logs time on a ticket from the
// ticket dialog, and the API and the month's time sheet have it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { ensureBinary } from '../support/packages.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

describe('NOC page: logging time on a ticket', () => {
  let t: TestCollector;
  let base: string;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    const executablePath = await ensureBinary('chromium', 'chromium');
    // The page shows times in the browser's zone; the clock of the collector is the real one here.
    t = await startTestCollector({ dialect: 'sqlite', start: new Date().toISOString() });
    base = await t.collector.listen();
    profile = mkdtempSync(join(tmpdir(), 'vigie-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });
  afterAll(async () => {
    await context?.close();
    await t?.dispose();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('logs minutes and the work done from the ticket dialog', async () => {
    await t.addTenant('globex', 'Globex');
    const month = t.now().toISOString().slice(0, 7);
    const contract = await t.api<{ id: string }>('POST', '/api/contracts', t.providerKey, {
      tenant: 'globex',
      type: 'regie',
      name: 'Régie',
      startsOn: `${month}-01`,
      endsOn: null,
      timeZone: 'UTC',
      language: 'en',
      scope: { applications: [], hosts: [] },
      counts: ['corrective', 'drift', 'request'],
      regie: { daysPerMonth: 5, hoursPerDay: 8 },
    });
    const ticket = await t.api<{ id: string }>('POST', '/api/requests', t.providerKey, {
      tenant: 'globex',
      title: 'Rotate the TLS certificate',
      description: 'It expires in 20 days.',
      application: 'erp',
      host: 'erp-01',
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/`);
    await page.getByLabel('API key').fill(t.providerKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const row = page.locator(`tr.ticket[data-ticket-id="${ticket.body.id}"]`);
    await row.waitFor({ timeout: 15_000 });
    await row.getByRole('button', { name: /^Open / }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Time spent (minutes)').fill('45');
    await dialog.getByLabel('Work done').fill('new certificate requested and installed');
    await dialog.getByRole('button', { name: 'Log time' }).click();
    await dialog.locator('.timeline li', { hasText: 'time logged' }).waitFor({ timeout: 10_000 });
    const logs = await t.api<Array<{ minutes: number; description: string; person: string }>>(
      'GET',
      `/api/tickets/${ticket.body.id}/worklogs`,
      t.providerKey,
    );
    expect(logs.body.map((l) => [l.minutes, l.description, l.person])).toEqual([
      [45, 'new certificate requested and installed', 'noc'],
    ]);
    const sheet = await t.api<{ minutes: number; byPerson: unknown[] }>(
      'GET',
      `/api/contracts/${contract.body.id}/timesheet?month=${month}`,
      t.providerKey,
    );
    expect(sheet.body).toMatchObject({
      minutes: 45,
      byPerson: [{ person: 'noc', minutes: 45, hours: 0.75 }],
    });
    expect(errors).toEqual([]);
    await page.close();
  });
});
