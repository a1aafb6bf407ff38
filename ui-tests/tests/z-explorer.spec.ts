/**
 * The Conda Packs explorer (a main-area tab opened from the Launcher) and the panel's Data
 * Science packs, on the suite's Object Storage server holding Oracle's service bucket
 * (see jupyter_server_test_config.py).
 *
 * Runs last (files run in name order): the jobs it runs would show in the Activity
 * screenshots of screenshots.spec.ts. What it installs and publishes is removed at the end.
 */
import { expect, galata, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { request as playwrightRequest } from '@playwright/test';
import type { APIRequestContext, Locator } from '@playwright/test';

import { card, environmentFile, openPanel, showSection } from './helpers';

const NAME = 'Explorer Test';
const V1 = 'explorertest_v1_0';
const V2 = 'explorertest_v2_0';
const SERVICE_CPU = 'Test Data Science for CPU on Python 3.11';
const SERVICE_GPU = 'Test Data Science for GPU on Python 3.11';
const SERVICE_SLUG = 'tdscpu_p311_cpu_v1';

/** Run a job through the REST API (as the panel does); answers its final state. */
async function finishJob(
  request: APIRequestContext,
  kind: string,
  params: Record<string, unknown>
): Promise<string> {
  const response = await request.post('/conda-pack-ext/jobs', {
    data: { kind, params }
  });
  expect(response.status()).toBe(202);
  const { id } = await response.json();
  let job = { state: 'queued', error: { message: '' } };
  await expect
    .poll(
      async () => {
        job = await (await request.get(`/conda-pack-ext/jobs/${id}`)).json();
        return ['queued', 'running'].includes(job.state);
      },
      { timeout: 180_000, intervals: [500] }
    )
    .toBe(false);
  return job.state === 'failed' ? `failed: ${job.error?.message}` : job.state;
}

/** Run a job that must succeed. */
async function runJob(
  request: APIRequestContext,
  kind: string,
  params: Record<string, unknown>
): Promise<void> {
  expect(await finishJob(request, kind, params)).toBe('succeeded');
}

/** A launcher card of a kernel, in the Launcher tab. */
async function launcherKernel(page: IJupyterLabPageFixture, slug: string): Promise<Locator> {
  await page.getByRole('tab', { name: 'Launcher' }).click();
  return page
    .getByRole('tabpanel', { name: 'Launcher' })
    .locator('.jp-LauncherCard', { hasText: `[conda env:${slug}]` });
}

/** Open the explorer from the Launcher's "Conda Packs Explorer" item. */
async function openExplorer(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.getByRole('tab', { name: 'Launcher' }).click();
  await page
    .getByRole('tabpanel', { name: 'Launcher' })
    .locator('.jp-LauncherCard', { hasText: 'Conda Packs Explorer' })
    .click();
  const explorer = page.locator('.jp-CondaPacks-explorer');
  await expect(explorer).toBeVisible();
  return explorer;
}

/** Choose a source of the explorer or the panel's Published section. */
async function showSource(view: Locator, name: string): Promise<void> {
  await view
    .getByRole('group', { name: 'Packs to show' })
    .getByRole('button', { name, exact: true })
    .click();
}

test.describe.serial('Conda Packs explorer', () => {
  test.setTimeout(300_000);

  test.afterAll(async () => {
    // Leave the pack folder and the store as the later files expect them.
    const request = await playwrightRequest.newContext({
      baseURL: `http://127.0.0.1:${process.env.CONDA_PACK_EXT_UI_PORT}`,
      extraHTTPHeaders: { Authorization: `token ${process.env.CONDA_PACK_EXT_UI_TOKEN}` }
    });
    for (const slug of [V1, V2, SERVICE_SLUG]) {
      await finishJob(request, 'uninstall', { slug });
    }
    for (const slug of [V1, V2]) {
      await finishJob(request, 'unpublish', { slug });
    }
    const slugs = async (route: string, key: string): Promise<string[]> =>
      ((await (await request.get(`/conda-pack-ext/${route}`)).json())[key] as { slug: string }[])
        .map(entry => entry.slug)
        .filter(slug => [V1, V2, SERVICE_SLUG].includes(slug));
    expect(await slugs('envs', 'envs')).toEqual([]);
    expect(await slugs('published', 'packs')).toEqual([]);
    await request.dispose();
  });

  test('the Launcher item opens it; sources, search, filters and versions; install from a card', async ({
    page
  }) => {
    // Two published versions of a pack; only 2.0 stays installed here.
    for (const version of ['1.0', '2.0']) {
      await runJob(page.request, 'publish', {
        environment: environmentFile('explorertest'),
        name: NAME,
        version
      });
    }
    await runJob(page.request, 'uninstall', { slug: V1 });

    const explorer = await openExplorer(page);
    await expect(
      page.getByRole('main').getByRole('tab', { name: 'Conda Packs Explorer' })
    ).toBeVisible();

    // Installed (the default source): the 2.0 env, published, with 2.0 as newest.
    const installed = card(explorer, NAME);
    await expect(installed).toHaveAttribute('data-slug', V2);
    await expect(installed.getByText('published', { exact: true })).toBeVisible();
    await expect(installed.getByRole('button', { name: `Open a notebook with ${V2}` })).toBeVisible();

    // Published: one card for both versions, newest first; the older one is installable.
    await showSource(explorer, 'Published');
    const pack = card(explorer, NAME);
    await expect(pack).toHaveAttribute('data-slug', V2);
    const versions = pack.getByRole('combobox', { name: `Version of ${NAME}` });
    await expect(versions.locator('option')).toHaveText(['2.0', '1.0']);
    await versions.selectOption({ label: '1.0' });
    await expect(pack).toHaveAttribute('data-slug', V1);
    await expect(pack.getByText('2.0 available')).toBeVisible();
    await expect(pack.getByRole('group', { name: 'Libraries' })).toContainText('cpe-testapp');

    // Search (libraries too) and the CPU/GPU filter.
    const search = explorer.getByRole('searchbox', { name: 'Search packs' });
    await search.fill('nothing-like-it');
    await expect(explorer.getByText('No pack matches the search.')).toBeVisible();
    await search.fill('testapp');
    await expect(pack).toBeVisible();
    const arch = explorer.getByRole('combobox', { name: 'Architecture' });
    await arch.selectOption('GPU');
    await expect(pack).toHaveCount(0);
    await arch.selectOption('all');
    await search.fill('');

    // Install 1.0 from its card: its kernel appears in the Launcher without a reload.
    await versions.selectOption({ label: '1.0' });
    await pack.getByRole('button', { name: `Install ${V1}` }).click();
    await expect(pack.getByText('installed', { exact: true })).toBeVisible({ timeout: 120_000 });
    await expect((await launcherKernel(page, V1)).first()).toBeVisible({ timeout: 60_000 });

    // The panel shows the same state at once: it reads the same models.
    const panel = await openPanel(page);
    const panelInstalled = await showSection(panel, 'Installed');
    await expect(card(panelInstalled, NAME)).toHaveCount(2);
  });

  test('Data Science in the panel: install a service pack; "Use in OCI…" copies the job variables', async ({
    page
  }) => {
    const panel = await openPanel(page);
    const published = await showSection(panel, 'Published');
    await showSource(published, 'Data Science');
    const service = card(published, SERVICE_CPU);
    await expect(service.getByRole('group', { name: 'Libraries' })).toContainText('ipykernel');
    await expect(await launcherKernel(page, SERVICE_SLUG)).toHaveCount(0);
    await service.getByRole('button', { name: `Install ${SERVICE_SLUG}` }).click();
    await expect((await launcherKernel(page, SERVICE_SLUG)).first()).toBeVisible({
      timeout: 120_000
    });

    await service.getByRole('button', { name: `Use ${SERVICE_SLUG} in OCI` }).click();
    const dialog = page.getByRole('dialog');
    const variables = dialog.getByRole('region', { name: 'Environment variables' });
    await expect(variables).toContainText(
      `CONDA_ENV_TYPE=service\nCONDA_ENV_SLUG=${SERVICE_SLUG}`
    );
    await variables.getByRole('button', { name: 'Copy Environment variables' }).click();
    await expect(page.locator('.Toastify__toast').filter({ hasText: 'Copied:' })).toContainText(
      `CONDA_ENV_SLUG=${SERVICE_SLUG}`
    );
    await dialog.getByRole('combobox', { name: 'OCI service' }).selectOption('model-deployment');
    await expect(dialog.getByRole('region', { name: 'runtime.yaml' })).toContainText(
      `INFERENCE_ENV_SLUG: ${SERVICE_SLUG}`
    );
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The explorer's Data Science source: the GPU pack warns on this host (no NVIDIA driver).
    const explorer = await openExplorer(page);
    await showSource(explorer, 'Data Science');
    await expect(card(explorer, SERVICE_CPU).getByText('installed', { exact: true })).toBeVisible();
    await explorer.getByRole('combobox', { name: 'Architecture' }).selectOption('GPU');
    await expect(card(explorer, SERVICE_CPU)).toHaveCount(0);
    const status = await (await page.request.get('/conda-pack-ext/status')).json();
    const warning = card(explorer, SERVICE_GPU).getByRole('note');
    await expect(warning).toHaveCount(status.host.nvidia_driver ? 0 : 1);
  });

  test('screenshots: light, dark and narrow', async ({ page }) => {
    const explorer = await openExplorer(page);
    await showSource(explorer, 'Data Science');
    await expect(card(explorer, SERVICE_CPU)).toBeVisible();
    await page.evaluate(() => document.querySelectorAll('.Toastify__toast').forEach(t => t.remove()));
    const mask = [page.locator('.jp-CondaPacks-volatile'), page.locator('.jp-CondaPacks-toolbarText')];
    await expect(explorer).toHaveScreenshot('explorer-light.png', { mask });
    await page.theme.setDarkTheme();
    await expect(explorer).toHaveScreenshot('explorer-dark.png', { mask });
    await page.theme.setLightTheme();
    await page.setViewportSize({ width: 700, height: 800 });
    await expect(explorer).toHaveScreenshot('explorer-narrow.png', { mask });
  });
});

test.describe('Conda Packs explorer restored with the page', () => {
  test.use({
    mockSettings: {
      ...galata.DEFAULT_SETTINGS,
      'conda-pack-ext:plugin': { explorerSource: 'service' }
    }
  });

  test('opens on the source the settings name, not the default', async ({ page }) => {
    const saved = page.waitForRequest(
      request => request.method() === 'PUT' && request.url().includes('/api/workspaces')
    );
    let explorer = await openExplorer(page);
    const pressed = (view: typeof explorer) =>
      view.getByRole('group', { name: 'Packs to show' }).locator('[aria-pressed="true"]');
    await expect(pressed(explorer)).toHaveText('Data Science');
    await saved;
    // The restored explorer, not the Launcher, is what shows: do not wait for the latter.
    await page.reload({ waitForIsReady: false });
    explorer = page.locator('.jp-CondaPacks-explorer');
    await expect(explorer).toBeVisible();
    await expect(pressed(explorer)).toHaveText('Data Science');
  });
});

