import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import { card, jobCard, openPanel, showSection } from './helpers';

// Runs after flow.spec.ts, whose pack is in the store: the sections show real cards.
const SECTIONS = ['Installed', 'Published', 'Create', 'Activity', 'Status'];

/** What changes from run to run: temporary paths, dates, sizes, Python versions. */
function volatileParts(page: IJupyterLabPageFixture): Locator[] {
  return [
    page.locator('.jp-CondaPacks-toolbarText'),
    page.locator('.jp-CondaPacks-installTarget input'),
    page.locator('.jp-CondaPacks-volatile'),
    page.locator('.jp-CondaPacks time'),
    page.locator('.jp-CondaPacks-facts .jp-CondaPacks-path'),
    // Tool versions (Status) change with the environment, not with the panel.
    page.locator('[aria-labelledby="jp-CondaPacks-fact-builders"] dd'),
    page.locator('[aria-labelledby="jp-CondaPacks-fact-version"] dd'),
    page.locator('form[aria-label="Settings"] .jp-InputGroup'),
    page.locator('.jp-CondaPacks-fieldNote')
  ];
}

async function shootSections(page: IJupyterLabPageFixture, theme: string): Promise<void> {
  const panel = page.getByRole('region', { name: 'Conda Packs' });
  for (const name of SECTIONS) {
    const section = await showSection(panel, name);
    await expect(section).not.toContainText('Loading…');
    await expect(panel).toHaveScreenshot(`${name.toLowerCase()}-${theme}.png`, {
      mask: volatileParts(page)
    });
  }
  // The Settings dialog, opened from the gear of the panel's header.
  await panel.getByRole('button', { name: 'Conda Packs settings' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('textbox', { name: 'Store (prefix URI)' })).toBeVisible();
  await expect(dialog.locator('.jp-Dialog-content')).toHaveScreenshot(
    `settings-dialog-${theme}.png`,
    { mask: volatileParts(page) }
  );
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
}

test.describe.serial('Screenshots of each section', () => {
  test.setTimeout(180_000);

  test('light and dark', async ({ page }) => {
    const panel = await openPanel(page);
    // An installed pack in the configured folder, so that Installed shows a card.
    const published = await showSection(panel, 'Published');
    await card(published, 'UI Test').getByRole('button', { name: 'Install uitest_v1_0' }).click();
    const activity = await showSection(panel, 'Activity');
    const install = activity.getByRole('list', { name: 'Running jobs' });
    await expect(jobCard(install, 'Install uitest_v1_0')).toBeVisible();
    await expect(install).toHaveCount(0, { timeout: 120_000 });
    const installed = await showSection(panel, 'Installed');
    await expect(card(installed, 'UI Test')).toBeVisible();
    // Notifications of the jobs would cover the main area only; keep the page quiet anyway.
    await page.evaluate(() => document.querySelectorAll('.Toastify__toast').forEach(t => t.remove()));

    await shootSections(page, 'light');
    await page.theme.setDarkTheme();
    await shootSections(page, 'dark');
  });
});
