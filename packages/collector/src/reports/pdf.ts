// Prints a report's HTML to PDF with a headless Chromium driven by playwright-core, in a fresh profile that is
// removed afterwards. The page has no script and loads nothing: the PDF shows exactly the HTML's figures.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** The Chromium to print with: the configured one, else the first found where distributions install it. */
export function findChromium(configured?: string): string | undefined {
  if (configured) return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

export async function renderPdf(html: string, executablePath: string): Promise<Buffer> {
  // Loaded when a PDF is printed, not with every start of the collector or its command line.
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'vigie-pdf-'));
  // A fresh profile needs launchPersistentContext: launch() refuses a --user-data-dir argument.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    javaScriptEnabled: false,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    // Nothing leaves the machine: the page is self-contained, so any request is refused.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({
      format: 'A4',
      printBackground: true,
      margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' },
    });
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}
