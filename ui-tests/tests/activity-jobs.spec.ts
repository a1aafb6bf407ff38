/**
 * The Activity section's job cards as JupyterLab draws them: progress bars (with and
 * without a known total) and every state badge, in the light and dark themes, in a narrow
 * and a wide panel; and the section tabs' keys. The jobs are answers the page gets instead
 * of the server's, so that the amounts and states are always the same. The first test is
 * tagged @smoke: `make lab40-smoke` runs it on JupyterLab 4.0 too.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { jobCard, openPanel, showSection } from './helpers';

const CREATED = '2025-01-06T10:00:00Z';

const JOBS = [
  {
    id: 'job-install',
    kind: 'install',
    slug: 'demo_v1_0',
    state: 'running',
    phase: 'downloading',
    progress: { done: 10e6, total: 40e6, unit: 'bytes', rate: 2e6 },
    created: CREATED
  },
  {
    id: 'job-create',
    kind: 'create',
    slug: 'tools_v2_0',
    state: 'running',
    phase: 'solving',
    progress: { done: 0, total: null, unit: '', rate: null },
    created: CREATED
  },
  {
    id: 'job-pack',
    kind: 'pack',
    slug: 'demo_v0_9',
    state: 'succeeded',
    phase: 'done',
    progress: { done: 1, total: 1, unit: '', rate: null },
    created: CREATED
  },
  {
    id: 'job-publish',
    kind: 'publish',
    slug: 'broken_v1_0',
    state: 'failed',
    phase: 'uploading',
    progress: { done: 0, total: null, unit: '', rate: null },
    error: { code: 'store_error', message: 'the store refused the upload' },
    created: CREATED
  },
  {
    id: 'job-uninstall',
    kind: 'uninstall',
    slug: 'old_v0_1',
    state: 'cancelled',
    phase: 'removing',
    progress: { done: 0, total: null, unit: '', rate: null },
    created: CREATED
  }
];

const LOGS: Record<string, string[]> = {
  'job-install': ['downloading file:///srv/packs/demo_v1_0.tar.gz'],
  'job-create': ['solving 12 specs']
};

/** Answer the panel's job requests with JOBS and LOGS. */
async function routeJobs(page: IJupyterLabPageFixture): Promise<void> {
  await page.route(/\/conda-pack-ext\/jobs(\?.*)?$/, route =>
    route.fulfill({ json: { jobs: JOBS } })
  );
  // JupyterLab adds a cache-busting number to GET requests: `?log_offset=0&1795…`.
  await page.route(/\/conda-pack-ext\/jobs\/[^/?]+\?log_offset=\d+(&\d+)?$/, route => {
    const url = new URL(route.request().url());
    const id = decodeURIComponent(url.pathname.split('/').pop()!);
    const offset = Number(url.searchParams.get('log_offset'));
    const job = JOBS.find(each => each.id === id)!;
    route.fulfill({ json: { ...job, log: offset ? [] : LOGS[id] ?? [] } });
  });
}

test.describe('Activity job cards', () => {
  test(
    "JupyterLab's progress bars and tabs, for screen readers and keyboards",
    { tag: '@smoke' },
    async ({ page }) => {
      await routeJobs(page);
      const panel = await openPanel(page);
      const activity = await showSection(panel, 'Activity');
      const running = activity.getByRole('list', { name: 'Running jobs' });
      const bar = (title: string) =>
        jobCard(running, title).getByRole('progressbar', { name: `Progress of ${title}` });
      await expect(bar('Install demo_v1_0')).toHaveAttribute('aria-valuenow', '25');
      await expect(bar('Install demo_v1_0')).toHaveAttribute(
        'aria-valuetext',
        '10.0 MB of 40.0 MB · 2.0 MB/s · 15 s left'
      );
      await expect(bar('Create tools_v2_0')).not.toHaveAttribute('aria-valuenow', /.*/);
      await expect(bar('Create tools_v2_0')).toHaveAttribute('aria-valuetext', 'solving');
      await expect(jobCard(running, 'Create tools_v2_0').getByRole('log')).toHaveText(
        'solving 12 specs'
      );

      // The focused tab is the selected one; arrows, Home and End move the focus.
      const tabs = panel.getByRole('tablist', { name: 'Conda Packs sections' });
      const selected = tabs.locator('[role="tab"][aria-selected="true"]');
      await tabs.getByRole('tab', { name: 'Activity' }).focus();
      await page.keyboard.press('ArrowRight');
      await expect(selected).toHaveAttribute('aria-label', 'Status');
      await expect(tabs.getByRole('tab', { name: 'Status' })).toBeFocused();
      await expect(panel.getByRole('tabpanel', { name: 'Status' })).toBeVisible();
      await page.keyboard.press('Home');
      await expect(selected).toHaveAttribute('aria-label', 'Installed');
      await page.keyboard.press('ArrowLeft');
      await expect(selected).toHaveAttribute('aria-label', 'Status');
      await page.keyboard.press('End');
      await expect(tabs.getByRole('tab', { name: 'Status' })).toBeFocused();
    }
  );

  test('progress bars and state badges: light, dark, narrow and wide', async ({ page }) => {
    await routeJobs(page);
    const panel = await openPanel(page);
    const activity = await showSection(panel, 'Activity');
    const running = activity.getByRole('list', { name: 'Running jobs' });
    await expect(jobCard(running, 'Create tools_v2_0').getByRole('log')).toHaveText(
      'solving 12 specs'
    );
    const mask = [page.locator('.jp-CondaPacks time')];
    for (const theme of ['light', 'dark']) {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      await page.sidebar.setWidth(260);
      await expect(panel).toHaveScreenshot(`jobs-narrow-${theme}.png`, { mask });
      await page.sidebar.setWidth(520);
      // Wide: every tab shows its label.
      await expect(
        panel.getByRole('tab', { name: 'Status' }).locator('.lm-TabBar-tabLabel')
      ).toBeVisible();
      await expect(panel).toHaveScreenshot(`jobs-wide-${theme}.png`, { mask });
    }
  });
});
