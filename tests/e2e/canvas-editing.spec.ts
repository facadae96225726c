// End to end on the LeNet sample: groups (group, nest, collapse/expand), the fix offered on a refused connection,
// keyboard moves and connections, and the view and selection saved with the file.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverUrl, skipWithoutChromium, shot, node, handle } from './helpers';

skipWithoutChromium();

test.use({ viewport: { width: 1600, height: 1000 } });

const edge = (page: Page, label: string): Locator => page.locator(`.react-flow__edge[aria-label^="${label}"]`);

async function openLeNet(page: Page): Promise<void> {
  await page.goto(serverUrl());
  await page.getByRole('button', { name: 'Open sample LeNet' }).click();
  await expect(page.locator('.react-flow__edge')).toHaveCount(14);
}

/** Clicks nodes by their title text, adding to the selection with Shift after the first. */
async function selectNodes(page: Page, ids: string[]): Promise<void> {
  for (const [index, id] of ids.entries()) {
    if (index > 0) await page.keyboard.down('Shift');
    await node(page, id).locator('.layer-node-title').click();
    if (index > 0) await page.keyboard.up('Shift');
  }
}

async function position(page: Page, id: string): Promise<{ x: number; y: number }> {
  const transform = await node(page, id).evaluate((element) => (element as HTMLElement).style.transform);
  const match = /translate\(([-\d.]+)px, ([-\d.]+)px\)/.exec(transform);
  if (match === null) throw new Error(`no transform on ${id}: ${transform}`);
  return { x: Number(match[1]), y: Number(match[2]) };
}

test('groups: group, nest, collapse and expand', async ({ page }, testInfo) => {
  await openLeNet(page);
  await selectNodes(page, ['conv1', 'relu1', 'pool1', 'conv2']);
  await page.getByRole('button', { name: 'Group selection' }).click();
  await expect(node(page, 'group1')).toBeVisible();
  await expect(page.getByRole('complementary', { name: 'Inspector' })).toContainText('nn.Sequential');

  // A group inside the group: its nodes keep the outer group as parent.
  await selectNodes(page, ['conv1', 'relu1']);
  await page.getByRole('button', { name: 'Group selection' }).click();
  await expect(node(page, 'group2')).toBeVisible();
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.getByRole('button', { name: 'Fit view', exact: true }).click();
  await shot(page, testInfo, 'groups-nested');

  // Collapse the inner group: its two layers become one node, the edges go to it, the rest stays.
  await page.getByRole('button', { name: 'Collapse group block2' }).click();
  await expect(node(page, 'conv1')).toBeHidden();
  await expect(node(page, 'relu1')).toBeHidden();
  await expect(node(page, 'pool1')).toBeVisible();
  await expect(node(page, 'group2')).toContainText('2 layers');
  await expect(page.locator('.react-flow__edge')).toHaveCount(13); // conv1 → relu1 is inside

  // Collapse the outer group: the inner group's node is hidden too; four layers in all.
  await page.getByRole('button', { name: 'Collapse group block1' }).click();
  await expect(node(page, 'group1')).toContainText('4 layers');
  await expect(node(page, 'group2')).toBeHidden();
  await expect(node(page, 'conv2')).toBeHidden();
  await expect(page.locator('.react-flow__edge')).toHaveCount(11); // three edges inside
  await shot(page, testInfo, 'groups-collapsed');

  // Expand the outer group: the inner one is still collapsed; then expand it too.
  await page.getByRole('button', { name: 'Expand group block1' }).click();
  await expect(node(page, 'conv2')).toBeVisible();
  await expect(node(page, 'conv1')).toBeHidden();
  await page.getByRole('button', { name: 'Expand group block2' }).click();
  await expect(node(page, 'conv1')).toBeVisible();
  await expect(page.locator('.react-flow__edge')).toHaveCount(14);

  // Undo walks back through the collapses and groupings.
  for (let step = 0; step < 6; step += 1) await page.keyboard.press('Control+z');
  await expect(node(page, 'group1')).toHaveCount(0);
});

test('a refused connection offers its fix; keyboard moves and connects', async ({ page }, testInfo) => {
  await openLeNet(page);

  // pool2 ([N, 16, 5, 5]) into fc2 is a rank mismatch: the notice offers Insert Flatten, which connects through one.
  const from = await handle(page, 'pool2', 'out').boundingBox();
  const to = await handle(page, 'fc2', 'input').boundingBox();
  if (from === null || to === null) throw new Error('handles not visible');
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 8 });
  await page.mouse.up();
  const notice = page.getByRole('alert').filter({ hasText: 'expects 2–3 dims' });
  await expect(notice).toBeVisible();
  await shot(page, testInfo, 'refused-with-fix');
  await notice.getByRole('button', { name: 'Insert Flatten' }).click();
  await expect(node(page, 'flatten1')).toBeVisible();
  await expect(edge(page, 'Edge from pool2.out to flatten1.input')).toHaveCount(1);
  await expect(edge(page, 'Edge from flatten1.out to fc2.input')).toHaveCount(1);
  await page.keyboard.press('Control+z');
  await expect(node(page, 'flatten1')).toHaveCount(0);

  // Arrow keys move the selection (10 px, 50 with Shift) once focus is off the node.
  await selectNodes(page, ['conv1', 'relu1']);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const before = await position(page, 'conv1');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+ArrowDown');
  expect(await position(page, 'conv1')).toEqual({ x: before.x + 10, y: before.y + 50 });
  expect((await position(page, 'relu1')).y).toBe((await position(page, 'conv1')).y);
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  expect(await position(page, 'conv1')).toEqual(before);

  // Connect to…: the inspector lists the input ports the selected node's output may feed.
  await selectNodes(page, ['flatten']);
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  await inspector.getByRole('button', { name: 'Connect to…' }).click();
  const targets = inspector.getByRole('combobox', { name: 'Connect to' });
  await expect(targets.locator('option', { hasText: 'fc2 · input (replaces its edge)' })).toHaveCount(1);
  await expect(targets.locator('option', { hasText: 'conv1 · input' })).toHaveCount(0); // [N, 400] is not an image
  await targets.selectOption({ label: 'fc2 · input (replaces its edge)' });
  await inspector.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(edge(page, 'Edge from flatten.out to fc2.input')).toHaveCount(1);
  await expect(edge(page, 'Edge from relu3.out to fc2.input')).toHaveCount(0);
});

test('save keeps the view and the selection; opening restores them', async ({ page }, testInfo) => {
  const dataRoot = process.env.NETWRIGHT_E2E_DIR ?? testInfo.outputPath('data');
  const file = join(dataRoot, `lenet-view-${Date.now()}.nwproj`);
  await openLeNet(page);
  await page.getByRole('button', { name: 'Zoom In' }).click();
  await page.getByRole('button', { name: 'Zoom In' }).click();
  await selectNodes(page, ['fc1']);
  await page.waitForTimeout(400); // the zoom animation
  const viewport = await page.locator('.react-flow__viewport').evaluate((element) => (element as HTMLElement).style.transform);
  await page.getByRole('button', { name: 'Save as' }).click();
  const dialog = page.getByRole('dialog', { name: 'Save project as' });
  await dialog.getByRole('textbox', { name: 'File name' }).fill(file);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Saved ${file}` })).toBeVisible();
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { ui: { viewport: { zoom: number }; selection: string[] } };
  expect(saved.ui.selection).toEqual(['fc1']);
  expect(saved.ui.viewport.zoom).not.toBe(1);

  await page.reload();
  await page.getByRole('button', { name: `Open LeNet (${file})` }).click();
  await expect(page.locator('.react-flow__edge')).toHaveCount(14);
  await expect(page.locator('.react-flow__viewport')).toHaveAttribute('style', new RegExp(viewport.replace(/[().]/g, '\\$&')));
  await expect(page.getByRole('complementary', { name: 'Inspector' }).getByRole('heading', { name: 'Linear' })).toBeVisible();
});
