import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import { openPanel, showSection } from './helpers';

/** The value shown for a label in the status facts (each pair is a group named by its label). */
function valueOf(panel: Locator, label: string): Locator {
  return panel.getByRole('group', { name: label }).getByRole('definition');
}

test.describe('Conda Packs panel', () => {
  test('opens from its side bar tab and shows the status', async ({ page }) => {
    const panel = await openPanel(page);
    await showSection(panel, 'Status');
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
    const panel = await openPanel(page);
    await showSection(panel, 'Status');
    await expect(valueOf(panel, 'Engine')).toHaveText('rattler');

    const answer = page.waitForResponse(
      response => response.url().includes('/conda-pack-ext/status') && response.ok()
    );
    await panel.getByRole('button', { name: 'Refresh status' }).click();
    await answer;
    await expect(valueOf(panel, 'Engine')).toHaveText('rattler');
  });

  test('shows the helpful empty state of an empty store', async ({ page }) => {
    const panel = await openPanel(page);
    const published = await showSection(panel, 'Published');
    await expect(published.locator('.jp-CondaPacks-empty')).toHaveText(
      /^No packs published in file:\/\/\/.*\/store yet\. Create one in the Create tab and publish it, or rescan if packs were published with ADS\.$/
    );
    // A rescan reads the (empty) store again and keeps the same advice.
    await published.getByRole('button', { name: 'Rescan the store' }).click();
    await expect(published.locator('.jp-CondaPacks-empty')).toBeVisible();
  });

  test('shows the error of a malformed environment file next to the field', async ({
    page,
    tmpPath
  }) => {
    await page.contents.uploadContent(
      'name: broken\ndependencies:\n  - python\n - cpe-testapp\n',
      'text',
      `${tmpPath}/broken.yaml`
    );
    const panel = await openPanel(page);
    const create = await showSection(panel, 'Create');
    await create.getByRole('textbox', { name: 'Environment file path' }).fill(
      `${tmpPath}/broken.yaml`
    );
    const problem = create.locator('#jp-CondaPacks-create-path-message');
    await expect(problem).toHaveText(
      'Line 4, column 1: A block sequence may not be used as an implicit map key'
    );
    await expect(
      create.getByRole('textbox', { name: 'Environment file path' })
    ).toHaveAttribute('aria-invalid', 'true');

    // Pasted YAML is checked the same way, and the slug follows the name as it is typed.
    await create.getByRole('radio', { name: 'Paste YAML' }).check();
    await create.getByRole('textbox', { name: 'Environment YAML' }).fill('name: [unclosed\n');
    await expect(create.locator('#jp-CondaPacks-create-text-message')).toHaveText(
      /^Line \d+, column \d+: /
    );
    await create.getByRole('textbox', { name: 'Pack name' }).fill('My Env');
    await expect(create.getByRole('status', { name: 'Slug' })).toContainText('myenv_v1_0');
    await create.getByRole('textbox', { name: 'Pack name' }).fill('bad/name');
    await expect(create.locator('#jp-CondaPacks-create-name-message')).toHaveText(
      'The name cannot contain "/" or "\\".'
    );
    // Nothing is sent while the form has errors.
    await create.getByRole('button', { name: 'Create pack' }).click();
    await expect(create.getByRole('status').filter({ hasText: 'Started' })).toHaveCount(0);
  });
});

test.describe('REST API', () => {
  test('refuses requests without the token', async ({ baseURL }) => {
    // Plain fetch: Playwright's own request contexts would add the token header.
    const response = await fetch(`${baseURL}/conda-pack-ext/status`);
    expect(response.status).toBe(403);
  });
});
