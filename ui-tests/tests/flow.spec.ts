import { expect, test } from '@jupyterlab/galata';

import {
  card,
  environmentFile,
  jobCard,
  openPanel,
  packFolder,
  showSection
} from './helpers';

const KERNEL = 'Python [conda env:uitest_v1_0]';

/** A Python project whose build backend sleeps: pip installing it keeps a job busy. */
const SLOW_BACKEND = `import time


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    time.sleep(600)
    raise RuntimeError("the slow package never builds")
`;
const SLOW_PYPROJECT = `[build-system]
requires = []
build-backend = "slow_backend"
backend-path = ["."]

[project]
name = "cpe-slow"
version = "0.1"
`;

test.describe.serial('Create, publish and install a pack', () => {
  test.setTimeout(240_000);

  test('from an environment file to a notebook in another folder', async ({
    page,
    tmpPath
  }) => {
    await page.contents.uploadContent(
      environmentFile('uitest'),
      'text',
      `${tmpPath}/environment.yml`
    );
    await page.filebrowser.refresh();

    // Right-click the file in the file browser: Create opens with it chosen.
    await page
      .locator('.jp-DirListing-item[data-file-type="yaml"]', { hasText: 'environment.yml' })
      .click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Create conda pack…' }).click();
    const panel = page.getByRole('region', { name: 'Conda Packs' });
    await expect(panel.getByRole('tab', { name: 'Create' })).toHaveAttribute(
      'aria-selected',
      'true'
    );
    const create = panel.getByRole('tabpanel');
    await expect(create.getByRole('textbox', { name: 'Environment file path' })).toHaveValue(
      `${tmpPath}/environment.yml`
    );
    await create.getByRole('textbox', { name: 'Pack name' }).fill('UI Test');
    await expect(create.getByRole('status', { name: 'Slug' })).toContainText('uitest_v1_0');
    await create.getByRole('button', { name: 'Create pack' }).click();
    await expect(create.getByRole('status').filter({ hasText: 'Started' })).toBeVisible();

    // Activity: the job's progress and log, live, to its end.
    const activity = await showSection(panel, 'Activity');
    const createJob = jobCard(activity, 'Create uitest_v1_0');
    await expect(createJob).toBeVisible();
    await expect(createJob.getByLabel('State')).toHaveText('Succeeded', { timeout: 120_000 });
    await createJob.getByRole('button', { name: 'Show log of Create uitest_v1_0' }).click();
    await expect(createJob.getByRole('log')).toContainText('solved: 4 packages');

    // Installed: the new env; publish it.
    const installed = await showSection(panel, 'Installed');
    const env = card(installed, 'UI Test');
    await expect(env.getByRole('group', { name: 'Slug' })).toContainText('uitest_v1_0');
    await env.getByRole('button', { name: 'Publish uitest_v1_0' }).click();
    const publishJob = jobCard(await showSection(panel, 'Activity'), 'Publish uitest_v1_0');
    await expect(publishJob.getByLabel('State')).toHaveText('Succeeded', { timeout: 120_000 });

    // Published: the store lists it with its manifest.
    const published = await showSection(panel, 'Published');
    const pack = card(published, 'UI Test');
    await expect(pack.getByRole('group', { name: 'Slug' })).toContainText('uitest_v1_0');
    await expect(pack.getByRole('group', { name: 'Libraries' })).toContainText('cpe-testapp');
    await published.getByRole('searchbox', { name: 'Search published packs' }).fill('nothing-like-it');
    await expect(pack).toHaveCount(0);
    await published.getByRole('searchbox', { name: 'Search published packs' }).fill('testapp');
    await expect(pack).toBeVisible();

    // The built env is no longer needed here: uninstall it (after confirming).
    const installedAgain = await showSection(panel, 'Installed');
    await card(installedAgain, 'UI Test')
      .getByRole('button', { name: 'Uninstall uitest_v1_0' })
      .click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('Uninstall uitest_v1_0?');
    await dialog.getByRole('button', { name: 'Uninstall' }).click();
    await expect(card(installedAgain, 'UI Test')).toHaveCount(0, { timeout: 60_000 });

    // No kernel of the pack yet: the launcher (open since the start) shows the server's own.
    const launcher = page.getByRole('tabpanel', { name: 'Launcher' });
    const launcherCard = launcher.locator('.jp-LauncherCard', { hasText: KERNEL });
    await expect(launcher.locator('.jp-LauncherCard').first()).toBeVisible();
    await expect(launcherCard).toHaveCount(0);

    // Install the published pack into another folder: its kernel appears without a reload.
    const otherFolder = (await packFolder(page)).replace(/packs$/, 'other-packs');
    const publishedAgain = await showSection(panel, 'Published');
    await publishedAgain.getByRole('textbox', { name: 'Install into folder' }).fill(otherFolder);
    await card(publishedAgain, 'UI Test')
      .getByRole('button', { name: 'Install uitest_v1_0' })
      .click();
    await expect(launcherCard.first()).toBeVisible({ timeout: 120_000 });

    // A notebook on that kernel runs in the installed folder.
    await launcherCard.first().click();
    await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
    await page.notebook.setCell(0, 'code', 'import sys; print(sys.prefix)');
    await page.notebook.runCell(0);
    const output = await page.notebook.getCellTextOutput(0);
    expect(output?.join('')).toContain(`${otherFolder}/uitest_v1_0`);
  });

  test('cancels a running job from the panel', async ({ page, tmpPath }) => {
    await page.contents.uploadContent(SLOW_BACKEND, 'text', `${tmpPath}/slowpkg/slow_backend.py`);
    await page.contents.uploadContent(SLOW_PYPROJECT, 'text', `${tmpPath}/slowpkg/pyproject.toml`);
    await page.contents.uploadContent(
      environmentFile('slow', '  - pip:\n    - ./slowpkg\n'),
      'text',
      `${tmpPath}/slow.yaml`
    );
    const panel = await openPanel(page);
    const create = await showSection(panel, 'Create');
    await create.getByRole('textbox', { name: 'Environment file path' }).fill(
      `${tmpPath}/slow.yaml`
    );
    await expect(create.getByRole('status', { name: 'Slug' })).toContainText('slow_v1_0');
    await create.getByRole('button', { name: 'Create pack' }).click();

    const activity = await showSection(panel, 'Activity');
    const job = jobCard(activity, 'Create slow_v1_0');
    await expect(job.locator('.jp-CondaPacks-phase')).toHaveText('pip', { timeout: 60_000 });
    await expect(job.getByRole('progressbar')).toBeVisible();
    await job.getByRole('button', { name: 'Cancel Create slow_v1_0' }).click();
    await expect(job.getByLabel('State')).toHaveText('Cancelled', { timeout: 60_000 });

    // Nothing is left behind: the Installed section does not list it.
    const installed = await showSection(panel, 'Installed');
    await expect(installed.getByRole('listitem', { name: 'slow' })).toHaveCount(0);
  });
});
