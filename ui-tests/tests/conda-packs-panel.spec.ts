import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

/** The value shown for a label in the status facts (each pair is a group named by its label). */
function valueOf(panel: Locator, label: string): Locator {
  return panel.getByRole('group', { name: label }).getByRole('definition');
}

test.describe('Conda Packs panel', () => {
  test('opens from its side bar tab and shows the status', async ({ page }) => {
    await page.getByRole('tab', { name: 'Conda Packs' }).click();

    const panel = page.getByRole('region', { name: 'Conda Packs' });
    await expect(panel).toBeVisible();
    await expect(panel.getByRole('tab', { name: 'Status' })).toHaveAttribute(
      'aria-selected',
      'true'
    );

    // The values come from the config.ini that jupyter_server_test_config.py wrote.
    await expect(valueOf(panel, 'Engine')).toHaveText('rattler');
    await expect(valueOf(panel, 'Builders')).toContainText('rattler (embedded');
    await expect(valueOf(panel, 'Pack folder')).toHaveText(/\/conda-pack-ext-ui-[^/]+\/packs$/);
    const store = valueOf(panel, 'Store');
    await expect(store).toContainText('Local folder');
    await expect(store).toContainText(/file:\/\/\/.*\/conda-pack-ext-ui-[^/]+\/store/);
    await expect(valueOf(panel, 'Authentication')).toHaveText('API key (OCI config file)');
  });

  test('refreshes the status on request', async ({ page }) => {
    await page.getByRole('tab', { name: 'Conda Packs' }).click();
    const panel = page.getByRole('region', { name: 'Conda Packs' });
    await expect(valueOf(panel, 'Engine')).toHaveText('rattler');

    const answer = page.waitForResponse(
      response => response.url().includes('/conda-pack-ext/status') && response.ok()
    );
    await panel.getByRole('button', { name: 'Refresh status' }).click();
    await answer;
    await expect(valueOf(panel, 'Engine')).toHaveText('rattler');
  });
});

test.describe('REST API', () => {
  test('refuses requests without the token', async ({ baseURL }) => {
    // Plain fetch: Playwright's own request contexts would add the token header.
    const response = await fetch(`${baseURL}/conda-pack-ext/status`);
    expect(response.status).toBe(403);
  });
});
