// End to end: build the notes' LeNet from an empty canvas by dragging layers and connecting ports, check the inferred
// shapes, fix an injected error with its one-click fix, save, reload, reopen and find the same graph.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverUrl, skipWithoutChromium, shot, node, handle } from './helpers';

skipWithoutChromium();

test.use({ viewport: { width: 1600, height: 1000 } });

async function dragLayer(page: Page, title: string, x: number, y: number): Promise<void> {
  const search = page.getByRole('searchbox', { name: 'Search layers' });
  await search.fill(title);
  const item = page.getByRole('complementary', { name: 'Layer palette' }).getByRole('button', { name: title, exact: true });
  const canvas = page.getByRole('region', { name: 'Canvas' });
  await item.dragTo(canvas, { targetPosition: { x, y } });
}

async function connectPorts(page: Page, from: [string, string], to: [string, string]): Promise<void> {
  const source = await handle(page, ...from).boundingBox();
  const target = await handle(page, ...to).boundingBox();
  if (source === null || target === null) throw new Error(`handles not visible: ${from.join('.')} → ${to.join('.')}`);
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 8 });
  await page.mouse.up();
}

async function setField(page: Page, name: string | RegExp, value: string): Promise<void> {
  const field = page.getByRole('complementary', { name: 'Inspector' }).getByRole('textbox', typeof name === 'string' ? { name, exact: true } : { name });
  await field.fill(value);
  await field.blur();
}

/** What the canvas shows: every node's text and every edge's label, sorted. */
async function canvasContents(page: Page): Promise<{ nodes: string[]; edges: string[] }> {
  const nodes = await page.locator('.react-flow__node').allInnerTexts();
  const edges = await page.locator('.react-flow__edge').evaluateAll((elements) => elements.map((element) => element.getAttribute('aria-label') ?? ''));
  return { nodes: nodes.map((text) => text.replace(/\s+/g, ' ').trim()).sort(), edges: edges.sort() };
}

// [palette title, node id, params to type in the inspector]
const lenet: [string, string, [string, string][]][] = [
  ['Image input', 'x1', []],
  ['Conv2d', 'conv1', [['out_channels', '6'], ['kernel_size', '5'], ['padding', '2']]],
  ['ReLU', 'relu1', []],
  ['MaxPool2d', 'pool1', []],
  ['Conv2d', 'conv2', [['out_channels', '16'], ['kernel_size', '5']]],
  ['ReLU', 'relu2', []],
  ['MaxPool2d', 'pool2', []],
  ['Flatten', 'flatten1', []],
  ['Linear', 'fc1', [['out_features', '120']]],
  ['ReLU', 'relu3', []],
  ['Linear', 'fc2', [['out_features', '84']]],
  ['ReLU', 'relu4', []],
  ['Linear', 'fc3', [['out_features', '10']]],
  ['CrossEntropyLoss', 'loss1', []],
  ['Target', 'target1', []],
];

test('build LeNet from an empty canvas, fix an error, save, reload and reopen', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  const dataRoot = process.env.NETWRIGHT_E2E_DIR ?? testInfo.outputPath('data');
  const file = join(dataRoot, `lenet-e2e-${Date.now()}.nwproj`);
  await page.goto(serverUrl());

  // Start page: the sample gallery, then a new empty project.
  await expect(page.getByRole('button', { name: 'Open sample LeNet' })).toBeVisible();
  await shot(page, testInfo, 'start-page');
  await page.getByRole('button', { name: 'New project' }).click();
  await expect(page.getByRole('region', { name: 'Canvas' })).toBeVisible();
  await setField(page, 'Project name', 'LeNet e2e');

  // Drop the layers in a snake, four per row, and type their params into the inspector.
  const canvasBox = await page.getByRole('region', { name: 'Canvas' }).boundingBox();
  if (canvasBox === null) throw new Error('no canvas');
  for (const [index, [title, id, params]] of lenet.entries()) {
    const row = Math.floor(index / 4);
    const column = row % 2 === 0 ? index % 4 : 3 - (index % 4);
    await dragLayer(page, title, 130 + column * 250, 90 + row * 170);
    await expect(node(page, id)).toBeVisible();
    for (const [name, value] of params) await setField(page, name, value);
  }
  await page.getByRole('searchbox', { name: 'Search layers' }).fill('');

  // Connect output ports to input ports along the chain.
  for (let index = 0; index + 1 < lenet.length - 1; index += 1) {
    const from = lenet[index]?.[1] ?? '';
    const to = lenet[index + 1]?.[1] ?? '';
    await connectPorts(page, [from, 'out'], [to, 'input']);
  }
  await connectPorts(page, ['target1', 'out'], ['loss1', 'target']);
  await expect(page.locator('.react-flow__edge')).toHaveCount(14);

  // A refused connection says why: a 4-d image into Linear (rank), then a cycle.
  await connectPorts(page, ['pool2', 'out'], ['fc2', 'input']);
  await expect(page.getByRole('alert').filter({ hasText: 'expects 2–3 dims' })).toBeVisible();
  await expect(page.locator('.react-flow__edge')).toHaveCount(14);

  // Inferred shapes: [N, 16, 5, 5] into Flatten, 400 into the first Linear.
  await expect(page.locator('.react-flow__edge-text', { hasText: '[N, 16, 5, 5]' })).toBeVisible();
  await expect(page.locator('.react-flow__edge-text', { hasText: '[N, 400]' })).toBeVisible();
  await expect(node(page, 'fc1')).toContainText('400→120');
  await expect(node(page, 'conv1')).toContainText('1→6 k5 p2');
  await expect(node(page, 'conv1')).toContainText('[N, 6, 28, 28]');
  await page.getByRole('button', { name: 'Fit view', exact: true }).click();
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await shot(page, testInfo, 'lenet-built');
  await page.getByRole('button', { name: 'Model summary' }).click();
  await expect(page.getByRole('region', { name: 'Model summary' })).toContainText('61,706');
  await shot(page, testInfo, 'model-summary');
  await page.getByRole('button', { name: 'Close model summary' }).click();

  // The graph is the notes' LeNet: no problems.
  await page.keyboard.press('Escape');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await expect(page.getByRole('complementary', { name: 'Inspector' })).toContainText('Problems (0)');

  // Inject an error (in_features 500) and fix it with one click.
  await node(page, 'fc1').click();
  await setField(page, /^in_features/, '500');
  await expect(node(page, 'fc1').getByRole('img', { name: '1 error' })).toBeVisible();
  await shot(page, testInfo, 'injected-error');
  await page.getByRole('button', { name: 'Set in_features to 400' }).click();
  await expect(node(page, 'fc1').getByRole('img', { name: /error/ })).toHaveCount(0);

  // Save as, into a temp folder, through the host's file API.
  await expect(page.getByRole('img', { name: 'Unsaved changes' })).toBeVisible();
  await page.getByRole('button', { name: 'Save as' }).click();
  const dialog = page.getByRole('dialog', { name: 'Save project as' });
  await dialog.getByRole('textbox', { name: 'File name' }).fill(file);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('img', { name: 'Unsaved changes' })).toHaveCount(0);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { graph: { nodes: unknown[]; edges: unknown[] } };
  expect(saved.graph.nodes).toHaveLength(15);
  expect(saved.graph.edges).toHaveLength(14);
  const before = await canvasContents(page);

  // Reload, open it from the recent files, and find the same graph.
  await page.reload();
  await page.getByRole('button', { name: `Open LeNet e2e (${file})` }).click();
  await expect(page.locator('.react-flow__edge')).toHaveCount(14);
  await expect(page.locator('.react-flow__edge-text', { hasText: '[N, 16, 5, 5]' })).toBeVisible();
  expect(await canvasContents(page)).toEqual(before);
  await expect(page.getByRole('img', { name: 'Unsaved changes' })).toHaveCount(0);
  await shot(page, testInfo, 'lenet-reopened');
});

test('palette search, keyboard add, undo/redo, copy/paste and the dark theme', async ({ page }, testInfo) => {
  await page.goto(serverUrl());
  await page.getByRole('button', { name: 'Open sample LeNet' }).click();
  await expect(page.locator('.react-flow__edge')).toHaveCount(14);
  const search = page.getByRole('searchbox', { name: 'Search layers' });
  await search.fill('lstm');
  await search.press('Enter');
  await expect(node(page, 'lstm1')).toBeVisible();
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z');
  await expect(node(page, 'lstm1')).toHaveCount(0);
  await page.keyboard.press('Control+Shift+z');
  await expect(node(page, 'lstm1')).toBeVisible();
  await node(page, 'lstm1').click();
  await page.keyboard.press('Control+d');
  await expect(node(page, 'lstm2')).toBeVisible();
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await page.getByRole('button', { name: 'Auto-layout' }).click();
  await node(page, 'relu1').click();
  await shot(page, testInfo, 'dark-theme-activation');
  await page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toContainText('Undo');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Switch to light theme' }).click();
});
