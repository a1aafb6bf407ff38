/**
 * The smoke test: the panel opens, a create job runs to its end, and the new environment's
 * kernel appears in the launcher. Tagged @smoke: `make lab40-smoke` runs only the tests
 * so tagged against the oldest supported JupyterLab (4.0); `make ui-test` runs them with
 * the others against the newest.
 */
import { expect, test } from '@jupyterlab/galata';

import { card, environmentFile, jobCard, openPanel, showSection } from './helpers';

test.describe('Smoke', () => {
  test.setTimeout(180_000);

  test(
    'panel opens, a create job runs, the kernel appears',
    { tag: '@smoke' },
    async ({ page, tmpPath }) => {
      await page.contents.uploadContent(
        environmentFile('smoke'),
        'text',
        `${tmpPath}/environment.yml`
      );

      const panel = await openPanel(page);
      const create = await showSection(panel, 'Create');
      await create
        .getByRole('textbox', { name: 'Environment file path' })
        .fill(`${tmpPath}/environment.yml`);
      await create.getByRole('textbox', { name: 'Pack name' }).fill('Smoke');
      await expect(create.getByRole('status', { name: 'Slug' })).toContainText('smoke_v1_0');
      await create.getByRole('button', { name: 'Create pack' }).click();

      const activity = await showSection(panel, 'Activity');
      const job = jobCard(activity, 'Create smoke_v1_0');
      await expect(job.getByLabel('State')).toHaveText('Succeeded', { timeout: 120_000 });

      const installed = await showSection(panel, 'Installed');
      await expect(card(installed, 'Smoke')).toBeVisible();

      // The new environment's kernel, in the launcher that is open since the start.
      const launcher = page.getByRole('tabpanel', { name: 'Launcher' });
      // (A card under Notebook and another under Console.)
      await expect(
        launcher.locator('.jp-LauncherCard', { hasText: 'Python [conda env:smoke_v1_0]' }).first()
      ).toBeVisible({ timeout: 60_000 });
    }
  );
});
