// Playwright e2e: Debian's Chromium (no browser download) against the built browser-mode server (tests/e2e/global-setup.ts).
import { defineConfig } from '@playwright/test';

/** Debian's Chromium; NETWRIGHT_CHROMIUM points elsewhere. The tests skip, saying so, when it is missing. */
const chromiumPath = process.env.NETWRIGHT_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  globalSetup: './tests/e2e/global-setup.ts',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  reporter: [['list'], ['html', { outputFolder: 'playwright-report', open: 'never' }]],
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    screenshot: 'on',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    },
  },
});
