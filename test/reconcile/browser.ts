/**
 * Opens a report page in a real headless Chromium (Debian's, installed by `.ci/browser`) through
 * playwright-core: the console errors and failed requests it saw, the summary counts it shows, and a
 * full-page screenshot kept as a test artifact.
 */
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function openInChromium(file: string, screenshot: string): Promise<{ errors: string[]; counts: Record<string, string> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    // Anything but the page itself would be an external resource.
    page.on('request', (r) => {
      if (r.url() !== pathToFileURL(file).href) errors.push(`request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const counts = await page.$$eval('td.count[data-kind]', (cells) =>
      Object.fromEntries(cells.map((c) => [c.getAttribute('data-kind') ?? '', (c.textContent ?? '').replace(/\u202f/g, '')])),
    );
    await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, counts };
  } finally {
    await browser.close();
  }
}
