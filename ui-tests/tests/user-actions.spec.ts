/**
 * The Settings dialog, the palette commands and the notification at a job's end.
 *
 * Runs after screenshots.spec.ts (files run in name order): its failed job would otherwise
 * show in the Activity screenshots. The settings it changes are put back at the end.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import { CHANNEL_URL, jobCard, openPanel, showSection } from './helpers';

/** The value shown for a label in the Status facts. */
function valueOf(panel: Locator, label: string): Locator {
  return panel.getByRole('group', { name: label }).getByRole('definition');
}

/** The store in effect, from the status route (the call the panel makes). */
async function storeUri(page: IJupyterLabPageFixture): Promise<string> {
  const response = await page.request.get('/conda-pack-ext/status');
  expect(response.ok()).toBe(true);
  return (await response.json()).store_uri;
}

test.describe('Settings dialog', () => {
  test('refuses an invalid store with the server message, then saves a valid one', async ({
    page
  }) => {
    const original = await storeUri(page);
    const other = original.replace(/store$/, 'other-store');
    try {
      const panel = await openPanel(page);
      const status = await showSection(panel, 'Status');
      await expect(valueOf(status, 'Store')).toContainText(original);

      await panel.getByRole('button', { name: 'Conda Packs settings' }).click();
      const dialog = page.getByRole('dialog');
      const store = dialog.getByRole('textbox', { name: 'Store (prefix URI)' });
      await expect(store).toHaveValue(original);
      // Only paths, names and modes: no secret is asked for.
      await expect(dialog.locator('input[type="password"]')).toHaveCount(0);

      // An invalid store: the dialog stays open with the server's message and hint.
      await store.fill('s3://bucket/packs');
      const saved = page.waitForResponse(
        response =>
          response.url().includes('/conda-pack-ext/config') &&
          response.request().method() === 'PUT'
      );
      await dialog.getByRole('button', { name: 'Save settings' }).click();
      const refusal = await saved;
      expect(refusal.status()).toBe(400);
      expect(refusal.request().postDataJSON()).toEqual({
        conda_pack_os_prefix: 's3://bucket/packs'
      });
      const alert = dialog.getByRole('alert');
      await expect(alert).toContainText("bad store prefix 's3://bucket/packs'");
      await expect(alert.locator('.jp-CondaPacks-hint')).toHaveText(
        'use oci://bucket@namespace/prefix or file:///absolute/folder'
      );
      await expect(store).toHaveValue('s3://bucket/packs');

      // A valid store, saved with Enter in the field: the dialog closes, Status follows.
      await store.fill(other);
      await store.press('Enter');
      await expect(dialog).toHaveCount(0);
      await expect(valueOf(status, 'Store')).toContainText(other);
      const published = await showSection(panel, 'Published');
      await expect(published.locator('.jp-CondaPacks-toolbarText')).toHaveText(other);
    } finally {
      const response = await page.request.put('/conda-pack-ext/config', {
        data: { conda_pack_os_prefix: original }
      });
      expect(response.ok()).toBe(true);
    }
  });

  test('Cancel leaves the settings as they were', async ({ page }) => {
    const original = await storeUri(page);
    const panel = await openPanel(page);
    await panel.getByRole('button', { name: 'Conda Packs settings' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Store (prefix URI)' }).fill('file:///nowhere');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    expect(await storeUri(page)).toBe(original);
  });
});

test.describe('Palette commands', () => {
  test('the Conda Packs commands are in the palette; Settings opens the dialog', async ({
    page
  }) => {
    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#modal-command-palette');
    await expect(palette).toBeVisible();
    await palette.locator('.lm-CommandPalette-input').fill('Conda Packs');
    for (const label of [
      'Open Conda Packs',
      'Create Conda Pack',
      'Refresh Conda Packs',
      'Show Conda Packs Activity',
      'Conda Packs Settings…'
    ]) {
      await expect(
        palette.getByRole('menuitem').filter({
          has: page.locator('.lm-CommandPalette-itemLabel', { hasText: label })
        })
      ).toHaveCount(1);
    }
    await palette
      .getByRole('menuitem')
      .filter({ hasText: 'Conda Packs Settings…' })
      .click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('textbox', { name: 'Store (prefix URI)' })).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });
});

test.describe('Job notifications', () => {
  test('a failed create notifies with the error and its hint', async ({ page }) => {
    const panel = await openPanel(page);
    const create = await showSection(panel, 'Create');
    await create.getByRole('radio', { name: 'Paste YAML' }).check();
    await create
      .getByRole('textbox', { name: 'Environment YAML' })
      .fill(
        [
          'name: nosuch',
          'channels:',
          `  - ${CHANNEL_URL}`,
          'dependencies:',
          '  - python',
          '  - no-such-package'
        ].join('\n')
      );
    await create.getByRole('button', { name: 'Create pack' }).click();

    const job = jobCard(await showSection(panel, 'Activity'), 'Create nosuch_v1_0');
    await expect(job.getByLabel('State')).toHaveText('Failed', { timeout: 60_000 });
    const hint = (await job.locator('.jp-CondaPacks-hint').textContent()) ?? '';
    expect(hint).not.toBe('');

    // The notification says which job failed, why (shortened to fit), and what to do next.
    const toast = page.locator('.Toastify__toast').filter({
      hasText: 'Create nosuch_v1_0 failed: '
    });
    await expect(toast).toContainText(hint);
    await toast.getByRole('button', { name: 'Show activity' }).click();
    await expect(panel.getByRole('tab', { name: 'Activity' })).toHaveAttribute(
      'aria-selected',
      'true'
    );
  });
});
