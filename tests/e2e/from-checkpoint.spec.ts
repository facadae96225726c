// End to end: New from checkpoint… on a state_dict PyTorch wrote (tests/fixtures/checkpoints, make_checkpoints.py).
// A bare nn.Sequential MLP: the dialog lists its layers in order with their tensors and a select at each index the
// keys skip (ReLU preselected); Create asks about the open project's unsaved changes first (Cancel keeps them), then
// opens an unsaved project with the checkpoint as strict initial weights, its layers on the canvas named 0…4.
// An LSTM checkpoint is refused with the key and the reason.
import { expect, test } from '@playwright/test';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverUrl, shot, skipWithoutChromium } from './helpers';

skipWithoutChromium();

test.use({ viewport: { width: 1600, height: 1000 } });

const fixtures = fileURLToPath(new URL('../fixtures/checkpoints/', import.meta.url));

/** Puts a fixture into the server's projects folder (the file browser's start; a fresh folder per run). */
function place(file: string): string {
  const projects = join(process.env['NETWRIGHT_E2E_DIR'] ?? '', 'projects');
  mkdirSync(projects, { recursive: true });
  copyFileSync(join(fixtures, file), join(projects, file));
  return file;
}

test('New from checkpoint: a bare nn.Sequential becomes a new unsaved project with its weights, after asking about unsaved work', async ({ page }, testInfo) => {
  const name = place('mlp-sequential.mdl');
  await page.goto(serverUrl());
  // Unsaved work in the open project: a sample with a changed name.
  await page.getByRole('button', { name: 'Open sample Two moons classifier' }).click();
  await expect(page.getByRole('region', { name: 'Canvas' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Project name' }).fill('Moons, edited');
  await page.getByRole('textbox', { name: 'Project name' }).press('Enter');
  await expect(page.getByRole('img', { name: 'Unsaved changes' })).toBeVisible();

  await page.getByRole('button', { name: 'New from checkpoint…' }).click();
  const pick = page.getByRole('dialog', { name: 'New from checkpoint' });
  await pick.getByRole('option', { name }).getByRole('button').click();
  await pick.getByRole('button', { name: 'Open' }).click();

  const dialog = page.getByRole('dialog', { name: 'New from checkpoint' });
  const table = dialog.getByRole('table', { name: 'Checkpoint layers' });
  await expect(table.getByRole('row')).toHaveCount(6);
  await expect(dialog.getByText('6 tensors in 3 layers with weights')).toBeVisible();
  await expect(table.getByRole('row', { name: /^0 nn\.Linear\(4, 16\) weight \[16, 4\] bias \[16\]$/ })).toBeVisible();
  await expect(table.getByRole('row', { name: /^4 nn\.Linear\(16, 3\) weight \[3, 16\] bias \[3\]$/ })).toBeVisible();
  await expect(dialog.getByRole('combobox', { name: 'Layer 1' })).toHaveValue('nn.ReLU');
  await expect(dialog.getByRole('combobox', { name: 'Layer 3' })).toHaveValue('nn.ReLU');
  await expect(dialog.getByRole('textbox', { name: 'Input shape' })).toHaveCount(0); // Linear(4, …) says it: 4 features
  await dialog.getByRole('combobox', { name: 'Layer 3' }).selectOption('nn.Tanh');
  await shot(page, testInfo, 'from-checkpoint-dialog');

  // Create → the unsaved-work question; Cancel keeps the edited project.
  await dialog.getByRole('button', { name: 'Create' }).click();
  const unsaved = page.getByRole('dialog', { name: 'Unsaved changes' });
  await expect(unsaved).toContainText('“Moons, edited” has unsaved changes');
  await unsaved.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.locator('.project-title')).toContainText('Moons, edited');

  // Again, and this time Don't save.
  await page.getByRole('button', { name: 'New from checkpoint…' }).click();
  await pick.getByRole('option', { name }).getByRole('button').click();
  await pick.getByRole('button', { name: 'Open' }).click();
  await dialog.getByRole('combobox', { name: 'Layer 3' }).selectOption('nn.Tanh');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('dialog', { name: 'Unsaved changes' }).getByRole('button', { name: 'Don’t save' }).click();

  await expect(page.locator('.project-title')).toContainText(name.replace(/\.mdl$/, ''));
  await expect(page.getByRole('img', { name: 'Unsaved changes' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Initial weights' })).toContainText(`${name} (strict)`);
  const nodes = page.locator('.react-flow__node');
  await expect(nodes).toHaveCount(6);
  for (const [id, text] of [['input', 'Features'], ['n1', 'Linear'], ['n2', 'ReLU'], ['n3', 'Linear'], ['n4', 'Tanh'], ['n5', 'Linear']] as const) {
    await expect(page.locator(`.react-flow__node[data-id="${id}"]`)).toContainText(text);
  }
  // The model is an nn.Sequential: its layers are named by index, as in the file.
  await expect(page.getByRole('combobox', { name: 'Model module' })).toHaveValue('sequential');
  await page.locator('.react-flow__node[data-id="n5"]').click();
  await expect(page.getByRole('textbox', { name: 'Name' })).toHaveAttribute('placeholder', '4 (automatic)');
  await expect(page.getByText('[4] = nn.Linear(16, 3)')).toBeVisible();
  await page.keyboard.press('Escape');
  await shot(page, testInfo, 'from-checkpoint-canvas');
});

test('New from checkpoint refuses an LSTM checkpoint, naming the key and why', async ({ page }) => {
  const name = place('lstm-tagger.pt');
  await page.goto(serverUrl());
  await page.getByRole('button', { name: 'New from checkpoint…' }).click();
  const pick = page.getByRole('dialog', { name: 'New from checkpoint' });
  await pick.getByRole('option', { name }).getByRole('button').click();
  await pick.getByRole('button', { name: 'Open' }).click();
  const dialog = page.getByRole('dialog', { name: 'New from checkpoint' });
  await expect(dialog.getByRole('alert', { name: 'Unsupported checkpoint' })).toContainText('rnn.weight_ih_l0: a recurrent layer (RNN/LSTM/GRU) returns a tuple');
  await expect(dialog.getByRole('button', { name: 'Create' })).toBeDisabled();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('main', { name: 'Start page' })).toBeVisible();
});
