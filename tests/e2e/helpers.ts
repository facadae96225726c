// Shared by the browser-mode e2e specs: the Chromium skip, the server URL from global-setup,
// screenshots as test artifacts, and canvas locators.
import { test, type Locator, type Page, type TestInfo } from '@playwright/test';
import { existsSync } from 'node:fs';

/** Call at the top of a spec: skips its tests, saying why, when Chromium is missing. */
export function skipWithoutChromium(): void {
  test.skip(
    ({ launchOptions }) => !existsSync(launchOptions.executablePath ?? '/usr/bin/chromium'),
    'Chromium not found at /usr/bin/chromium (or NETWRIGHT_CHROMIUM): install it with `apt-get install chromium` to run the e2e tests.',
  );
}

/** The tokenised URL of the browser-mode server started by global-setup.ts. */
export function serverUrl(): string {
  const url = process.env.NETWRIGHT_URL;
  if (url === undefined) throw new Error('NETWRIGHT_URL is not set: tests/e2e/global-setup.ts did not run.');
  return url;
}

/** A full-page screenshot saved and attached to the test's report. */
export async function shot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

export const node = (page: Page, id: string): Locator => page.locator(`.react-flow__node[data-id="${id}"]`);
export const handle = (page: Page, id: string, port: string): Locator => node(page, id).locator(`.react-flow__handle[data-handleid="${port}"]`);
