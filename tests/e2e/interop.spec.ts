// End to end on the two-moons sample: Export… writes a .mdl (a fresh, seeded model) into the projects folder, Import
// checkpoint… shows that file's per-key report (6 matched) before anything changes, and "Use as initial weights
// (strict)" sets training.initialWeights (undoable), which the top bar then shows.
import { expect, test } from '@playwright/test';
import { serverUrl, skipWithoutChromium } from './helpers';

skipWithoutChromium();

test.use({ viewport: { width: 1600, height: 1000 } });

test('export two-moons to .mdl, import it back as strict initial weights', async ({ page }) => {
  await page.goto(serverUrl());
  await page.getByRole('button', { name: 'Open sample Two moons classifier' }).click();
  await expect(page.getByRole('region', { name: 'Canvas' })).toBeVisible();
  const name = `moons-${Date.now()}.mdl`;

  // Export… → format .mdl → Choose… (the in-app file browser, in the projects folder) → Export.
  await page.getByRole('button', { name: 'Export…' }).click();
  const exportDialog = page.getByRole('dialog', { name: 'Export' });
  await exportDialog.getByRole('combobox', { name: 'Format' }).selectOption('.mdl');
  await exportDialog.getByRole('button', { name: 'Choose…' }).click();
  const target = page.getByRole('dialog', { name: 'Export to' });
  await target.getByRole('textbox', { name: 'File name' }).fill(name);
  await target.getByRole('button', { name: 'Save' }).click();
  await expect(exportDialog.getByRole('textbox', { name: 'Target file' })).toHaveValue(new RegExp(`${name.replace('.', '\\.')}$`));
  await exportDialog.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(page.getByText(new RegExp(`Exported .*${name.replace('.', '\\.')}`))).toBeVisible();
  await expect(exportDialog).toHaveCount(0);

  // Import checkpoint… → pick the file → the report, before anything changes.
  await page.getByRole('button', { name: 'Import checkpoint…' }).click();
  const pick = page.getByRole('dialog', { name: 'Import checkpoint' });
  await pick.getByRole('option', { name }).getByRole('button').click();
  await pick.getByRole('button', { name: 'Open' }).click();
  const report = page.getByRole('dialog', { name: 'Import checkpoint' });
  await expect(report.getByLabel('Summary')).toHaveText('6 matched');
  await expect(report.getByRole('table', { name: 'Checkpoint keys' }).getByRole('row')).toHaveCount(7);
  await expect(report.getByRole('row', { name: /fc1\.weight matched \[16, 2\] float32/ })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Initial weights' })).toHaveCount(0);

  await report.getByRole('button', { name: 'Use as initial weights (strict)' }).click();
  await expect(report).toHaveCount(0);
  await expect(page.getByRole('status', { name: 'Initial weights' })).toContainText(`${name} (strict)`);

  // It is an ordinary edit: Undo takes it back.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByRole('status', { name: 'Initial weights' })).toHaveCount(0);
});
