// End to end: the renderer in Debian Chromium, against the browser-mode host and the real native engine.
import { expect, test } from '@playwright/test';
import { engineInfo } from '../../native/ts/index';
import { serverUrl, skipWithoutChromium } from './helpers';

// The executable comes from playwright.config.ts (/usr/bin/chromium unless NETWRIGHT_CHROMIUM is set).
skipWithoutChromium();

test('the status line shows the real engine, the palette the layer catalog, and the canvas renders', async ({ page }, testInfo) => {
  const info = engineInfo();
  await page.goto(serverUrl());

  const status = page.getByRole('status');
  await expect(status).toContainText(`Engine ${info.version}`, { timeout: 30_000 });
  await expect(status).toContainText(`${info.threads} thread`);
  await expect(status).toContainText('devices: cpu (');
  await expect(status).toContainText(`CUDA: ${info.cudaStatus}`);

  // The start page, then an empty project with the catalog in the palette.
  await page.getByRole('button', { name: 'New project' }).click();
  await expect(page.getByRole('complementary', { name: 'Layer palette' })).toContainText('Conv2d');
  const canvas = page.getByRole('region', { name: 'Canvas' });
  await expect(canvas).toBeVisible();
  await expect(canvas.locator('.react-flow__minimap')).toBeVisible();
  await expect(canvas.locator('.react-flow__controls')).toBeVisible();

  const screenshot = testInfo.outputPath('app.png');
  await page.screenshot({ path: screenshot });
  await testInfo.attach('app', { path: screenshot, contentType: 'image/png' });
});

test('the page refuses to load without the token', async ({ page }) => {
  const url = new URL(serverUrl());
  url.search = '';
  const response = await page.goto(url.href);
  expect(response?.status()).toBe(401);
  await expect(page.locator('body')).toContainText('E_TOKEN');
});
