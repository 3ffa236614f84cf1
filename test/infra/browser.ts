import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, which tools/ensure-browser.sh installs (playwright-core brings none). */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS_DIR = resolve(__dirname, '../../.local/screenshots');

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: run tools/ensure-browser.sh as root (apt), or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // As root, Chromium refuses to start with its sandbox; nothing here should call home.
    chromiumSandbox: false,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** Saves the whole page as `.local/screenshots/<suite>/<name>.png`, a test artifact. */
export async function saveScreenshot(page: Page, suite: string, name: string): Promise<void> {
  const directory = join(SCREENSHOTS_DIR, suite);
  mkdirSync(directory, { recursive: true });
  await page.screenshot({ path: join(directory, `${name}.png`), fullPage: true });
}
