// End to end with the real engine: open the two-moons sample, set epochs in the settings panel, click Train, watch the
// loss chart gain points and fall, see gradient-health dots on the nodes (and open a layer's charts from one), pause
// and resume, see the confusion matrix while it trains, let it finish, find it in the history with every step; then an
// absurd learning rate diverges and the run panel names the step; a third run is overlaid with the first on every
// chart. Screenshots of each view are attached as artifacts.
import { expect, test, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { serverUrl, skipWithoutChromium, shot } from './helpers';

skipWithoutChromium();

test.use({ viewport: { width: 1600, height: 1000 } });

async function setSetting(page: Page, label: string, value: string): Promise<void> {
  const field = page.getByRole('region', { name: 'Training' }).getByLabel(label, { exact: true });
  await field.fill(value);
  await field.press('Enter');
  await field.blur();
}

const lossChart = (page: Page) => page.getByTestId('loss-chart');
const linesOf = async (page: Page, testId: string): Promise<number> => Number((await page.getByTestId(testId).getAttribute('data-lines')) ?? '0');
const points = async (page: Page): Promise<number> => Number((await lossChart(page).getAttribute('data-points')) ?? '0');
const runState = (page: Page) => page.getByTestId('run-state');

test('train two moons from one click: live charts, gradient health on nodes, pause/resume, history, confusion matrix, divergence, overlays', async ({ page }, testInfo) => {
  test.setTimeout(360_000);
  await page.goto(serverUrl());
  await page.getByRole('button', { name: /Open sample Two moons/ }).click();
  const dock = page.getByRole('region', { name: 'Training' });
  await expect(dock.getByRole('button', { name: '▶ Train' })).toBeVisible();

  // Settings: long enough to pause in the middle (two moons trains ~30 epochs a second on 2 cores).
  await dock.getByRole('tab', { name: 'Settings' }).click();
  await setSetting(page, 'epochs', '1200');
  await expect(dock.getByLabel('epochs', { exact: true })).toHaveValue('1200');
  // Field validation: a bad value is refused with a message and not applied.
  await dock.getByLabel('batch size', { exact: true }).fill('0');
  await expect(dock.getByText('batch size must be ≥ 1')).toBeVisible();
  await dock.getByLabel('batch size', { exact: true }).fill('32');
  await dock.getByLabel('batch size', { exact: true }).blur();
  await shot(page, testInfo, 'dashboard-settings');

  // One click: Train (Ctrl+Enter is the same command).
  await page.keyboard.press('Control+Enter');
  await expect(runState(page)).toHaveText(/starting|running/, { timeout: 10_000 });
  await expect(runState(page)).toHaveText('running', { timeout: 60_000 });
  await expect(dock.getByRole('tab', { name: 'Charts' })).toHaveAttribute('aria-selected', 'true');
  await expect.poll(() => points(page), { timeout: 30_000 }).toBeGreaterThan(5);
  const early = await points(page);
  await expect.poll(() => points(page), { timeout: 30_000 }).toBeGreaterThan(early);

  // Pause: the state says so and no more points arrive; Resume continues.
  await dock.getByRole('button', { name: 'Pause' }).click();
  await expect(runState(page)).toHaveText('paused', { timeout: 15_000 });
  const paused = await points(page);
  await page.waitForTimeout(1200);
  expect(await points(page)).toBe(paused);
  await shot(page, testInfo, 'dashboard-paused');
  await dock.getByRole('button', { name: 'Resume' }).click();
  await expect(runState(page)).toHaveText('running', { timeout: 15_000 });
  await expect.poll(() => points(page), { timeout: 30_000 }).toBeGreaterThan(paused);

  // Gradient health dots on the layer nodes (every Linear has parameters).
  for (const id of ['fc1', 'fc2', 'fc3']) {
    await expect(page.locator(`.react-flow__node[data-id="${id}"] [data-testid="gradient-health"]`)).toBeVisible({ timeout: 30_000 });
  }
  await expect(page.locator('.react-flow__node[data-id="tanh1"] [data-testid="gradient-health"]')).toHaveCount(0);
  await shot(page, testInfo, 'dashboard-live');

  // Clicking a node's dot opens that layer's gradient charts.
  await page.locator('.react-flow__node[data-id="fc2"] [data-testid="gradient-health"]').click();
  await expect(dock.getByRole('tab', { name: 'Gradients' })).toHaveAttribute('aria-selected', 'true');
  await expect(dock.getByLabel('Layer', { exact: true })).toHaveValue('fc2');
  await expect(dock.getByTestId('grad-norm-chart').locator('.recharts-line').first()).toBeVisible({ timeout: 15_000 });
  await shot(page, testInfo, 'dashboard-gradients');

  // The confusion matrix and predictions are there during the run (validation split, after an epoch).
  await dock.getByRole('tab', { name: 'Results' }).click();
  await expect(dock.getByTestId('confusion-matrix')).toContainText(/validation, step \d+/, { timeout: 30_000 });
  await expect(dock.getByTestId('prediction-scatter')).toBeVisible();
  expect(await runState(page).textContent()).toBe('running');
  await shot(page, testInfo, 'dashboard-results-live');

  // Let it finish: completed, the loss fell.
  await expect(runState(page)).toHaveText('completed', { timeout: 180_000 });
  await dock.getByRole('tab', { name: 'Charts' }).click();
  // The finished run's chart holds every step (1200 epochs × 25) from the run log; the live stream carried ≤ 20 a second.
  await expect.poll(() => points(page)).toBe(1200 * 25);
  const first = Number(await lossChart(page).getAttribute('data-first'));
  const last = Number(await lossChart(page).getAttribute('data-last'));
  expect(last).toBeLessThan(first * 0.2);
  await expect(page.getByTestId('epoch-loss-chart').locator('.recharts-line')).toHaveCount(2);
  await shot(page, testInfo, 'dashboard-completed');

  // History: the run is listed, with its settings and final metrics; its confusion matrix is in Results.
  await dock.getByRole('tab', { name: 'History' }).click();
  const history = dock.getByRole('table', { name: 'Run history' });
  const row = history.locator('tbody tr.current');
  await expect(row).toContainText('completed');
  await expect(row).toContainText('two-moons · adam lr 0.01 · batch 32');
  await expect(row).toContainText('1200/1200');
  await expect(row.locator('td').nth(5)).toHaveText(String(1200 * 25));
  await shot(page, testInfo, 'dashboard-history');
  await row.click();
  await dock.getByRole('tab', { name: 'Results' }).click();
  const matrix = dock.getByTestId('confusion-matrix');
  await expect(matrix).toBeVisible();
  const cells = (await matrix.locator('tbody td').allInnerTexts()).map(Number);
  expect(cells).toHaveLength(4);
  expect(cells.reduce((a, b) => a + b, 0)).toBe(200); // the 20 % validation split of 1000 samples
  expect(cells[0]! + cells[3]!).toBeGreaterThan(190);
  await expect(dock.getByTestId('prediction-scatter')).toBeVisible();
  await shot(page, testInfo, 'dashboard-results');

  // A second run with an absurd learning rate diverges; the run panel names the step and offers next actions.
  await dock.getByRole('tab', { name: 'Settings' }).click();
  await dock.getByLabel('optimizer', { exact: true }).selectOption('sgd');
  await setSetting(page, 'lr', '1e38');
  await expect(dock.getByText(/learning rate 1e\+38 is very large/)).toBeVisible();
  await dock.getByRole('button', { name: '▶ Train' }).click();
  await expect(runState(page)).toHaveText('diverged', { timeout: 60_000 });
  const failure = page.getByTestId('run-failure');
  await expect(failure).toContainText(/Diverged at step \d+/);
  await expect(failure).toContainText(/NaN\/inf at step \d+/);
  await expect(failure.getByRole('button', { name: 'Lower the learning rate ÷10' })).toBeVisible();
  await dock.getByRole('tab', { name: 'Charts' }).click();
  await shot(page, testInfo, 'dashboard-diverged');

  // Overlay the completed run on the diverged one's charts.
  await dock.getByRole('tab', { name: 'History' }).click();
  await history.locator('tbody tr', { hasText: 'completed' }).first().getByRole('checkbox').check();
  await dock.getByRole('tab', { name: 'Charts' }).click();
  await expect(page.getByTestId('epoch-loss-chart').locator('.recharts-line')).not.toHaveCount(0);
  await shot(page, testInfo, 'dashboard-overlay-diverged');
  await dock.getByRole('tab', { name: 'History' }).click();
  await history.locator('tbody tr', { hasText: 'completed' }).first().getByRole('checkbox').uncheck();

  // A third run with another learning rate, overlaid with the first on every per-run chart.
  await dock.getByRole('tab', { name: 'Settings' }).click();
  await dock.getByLabel('optimizer', { exact: true }).selectOption('adam');
  await setSetting(page, 'lr', '0.003');
  await setSetting(page, 'epochs', '300');
  await dock.getByRole('button', { name: '▶ Train' }).click();
  await expect(runState(page)).toHaveText('completed', { timeout: 120_000 });
  await dock.getByRole('tab', { name: 'History' }).click();
  await history.locator('tbody tr', { hasText: '1200/1200' }).getByRole('checkbox').check();
  await dock.getByRole('tab', { name: 'Charts' }).click();
  // loss: raw + smoothed of the current run, smoothed of the overlay; epoch charts: train + validation of each
  await expect.poll(() => linesOf(page, 'loss-chart')).toBe(3);
  await expect.poll(() => linesOf(page, 'epoch-loss-chart')).toBe(4);
  await expect.poll(() => linesOf(page, 'accuracy-chart')).toBe(4);
  await expect.poll(() => linesOf(page, 'lr-chart')).toBe(2);
  await expect.poll(() => linesOf(page, 'rate-chart')).toBe(2);
  await expect(lossChart(page).locator('.recharts-legend-item')).toHaveCount(2);
  await shot(page, testInfo, 'dashboard-overlay');
});

test('regression: the notes’ y = 2x + 3 trains to a model-fit plot, and charts export as CSV and PNG', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await page.goto(serverUrl());
  await page.getByRole('button', { name: /Open sample Linear regression/ }).click();
  const dock = page.getByRole('region', { name: 'Training' });
  await dock.getByRole('button', { name: '▶ Train' }).click();
  await expect(runState(page)).toHaveText('completed', { timeout: 90_000 });
  await expect.poll(() => points(page)).toBeGreaterThan(2);

  const csv = page.waitForEvent('download');
  await lossChart(page).getByRole('button', { name: 'Export Step loss as CSV' }).click();
  const csvFile = await csv;
  expect(csvFile.suggestedFilename()).toBe('step-loss.csv');
  const text = await (await csvFile.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString('utf8'));
  expect(text.split('\n')[0]).toBe('run,step,loss,smoothed');
  expect(text.trim().split('\n').length).toBe((await points(page)) + 1);

  const png = page.waitForEvent('download');
  await lossChart(page).getByRole('button', { name: 'Export Step loss as PNG' }).click();
  const pngFile = await png;
  expect(pngFile.suggestedFilename()).toBe('step-loss.png');
  const bytes = await (await pngFile.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks));
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  expect(bytes.length).toBeGreaterThan(2000);

  await dock.getByRole('tab', { name: 'Results' }).click();
  const fit = dock.getByTestId('prediction-scatter');
  await expect(fit).toContainText('Model fit');
  await expect(fit.locator('.recharts-scatter')).toHaveCount(2);
  await shot(page, testInfo, 'dashboard-regression-fit');
});

test('images: one epoch of the Fashion-MNIST MLP gives a 10-class confusion matrix and a grid of predicted images', async ({ page }, testInfo) => {
  test.skip(!existsSync('/usr/share/datasets/fashion-mnist'), 'Fashion-MNIST is not installed in /usr/share/datasets (apt-get install dataset-fashion-mnist)');
  test.setTimeout(180_000);
  await page.goto(serverUrl());
  await page.getByRole('button', { name: /Open sample MLP on Fashion-MNIST/ }).click();
  const dock = page.getByRole('region', { name: 'Training' });
  await dock.getByRole('tab', { name: 'Settings' }).click();
  await setSetting(page, 'epochs', '1');
  await dock.getByRole('button', { name: '▶ Train' }).click();
  await expect(runState(page)).toHaveText('completed', { timeout: 150_000 });
  await dock.getByRole('tab', { name: 'Results' }).click();
  const matrix = dock.getByTestId('confusion-matrix');
  await expect(matrix.locator('tbody tr')).toHaveCount(10);
  const cells = (await matrix.locator('tbody td').allInnerTexts()).map(Number);
  expect(cells.reduce((a, b) => a + b, 0)).toBe(10_000); // the test set
  const grid = dock.getByTestId('prediction-grid');
  await expect(grid.locator('canvas.sample-image')).toHaveCount(24);
  await grid.scrollIntoViewIfNeeded();
  await shot(page, testInfo, 'dashboard-images');
});
