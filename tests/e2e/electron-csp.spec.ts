// The desktop page's Content-Security-Policy (main/app/protocol.ts) applied to the real renderer bundle in Chromium:
// the browser-mode page is served with the app:// policy instead of its own, and must work with no violation other
// than zod's eval feature probe (it catches the refusal and runs without eval). Runs wherever Chromium runs.
import { existsSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { appContentSecurityPolicy } from '../../main/app/protocol';

const chromium = process.env.NETWRIGHT_CHROMIUM ?? '/usr/bin/chromium';

// NOTE: a page fulfilled by page.route counts as a public address to Chromium's Local Network Access checks, which
// then block its WebSocket to 127.0.0.1; that check is about the interception, not the policy under test.
test.use({
  launchOptions: {
    executablePath: chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-features=LocalNetworkAccessChecks'],
  },
});

test('the renderer runs under the desktop CSP: no inline script, no eval needed', async ({ page }) => {
  test.skip(!existsSync(chromium), `SKIPPED: Chromium not found at ${chromium}; install it (apt-get install chromium) or set NETWRIGHT_CHROMIUM.`);
  const url = process.env.NETWRIGHT_URL;
  if (url === undefined) throw new Error('NETWRIGHT_URL is not set: run through `npm run test:e2e` (global setup starts the server).');
  const origin = new URL(url).origin;
  // Replace the browser-mode policy with the desktop one; the one addition is the WebSocket the browser-mode Api needs
  // (the desktop page talks IPC and has no socket).
  const policy = appContentSecurityPolicy.replace("connect-src 'self'", `connect-src 'self' ${origin.replace(/^http/, 'ws')}`);
  expect(policy).not.toBe(appContentSecurityPolicy);
  await page.route(`${origin}/**`, async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers(), 'content-security-policy': policy };
    await route.fulfill({ response, headers });
  });
  await page.addInitScript(() => {
    const seen: { directive: string; blocked: string; sample: string }[] = [];
    (window as unknown as { cspViolations: typeof seen }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push({ directive: event.effectiveDirective, blocked: event.blockedURI, sample: event.sample });
    });
  });
  await page.goto(url);
  await expect(page.getByRole('button', { name: 'New project' })).toBeVisible();
  await expect(page.getByText(/Engine \S+/)).toBeVisible({ timeout: 20_000 });
  await page.getByRole('button', { name: 'New project' }).click();
  await expect(page.getByRole('region', { name: 'Canvas' })).toBeVisible();
  const violations = await page.evaluate(() => (window as unknown as { cspViolations: { directive: string; blocked: string }[] }).cspViolations);
  const unexpected = violations.filter((v) => !(v.directive === 'script-src' && v.blocked === 'eval'));
  expect(unexpected).toEqual([]);
  const header = await page.evaluate(async () => (await fetch(window.location.href)).headers.get('content-security-policy'));
  expect(header).toBe(policy);
});
