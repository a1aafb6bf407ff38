/** Shared steps of the Conda Packs browser tests. */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

/** The local conda channel (a file:// URL) that playwright.config.js found. */
export const CHANNEL_URL = `file://${process.env.CONDA_PACK_EXT_CHANNEL}`;

/** An environment file of the test channel, as a user would write it. */
export function environmentFile(name: string, extra = ''): string {
  return [
    `name: ${name}`,
    'channels:',
    `  - ${CHANNEL_URL}`,
    'dependencies:',
    '  - python',
    '  - cpe-testapp',
    extra
  ].join('\n');
}

/** Open the Conda Packs side panel; answers the panel. */
export async function openPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.getByRole('tab', { name: 'Conda Packs', exact: true }).click();
  const panel = page.getByRole('region', { name: 'Conda Packs' });
  await expect(panel).toBeVisible();
  return panel;
}

/** Select a section of the panel; answers its content. */
export async function showSection(panel: Locator, name: string): Promise<Locator> {
  await panel.getByRole('tab', { name, exact: true }).click();
  return panel.getByRole('tabpanel');
}

/** A job card of the Activity section, by its title ("Create uitest_v1_0"). */
export function jobCard(panel: Locator, title: string): Locator {
  return panel.getByRole('listitem', { name: title, exact: true }).first();
}

/** A card (installed env or published pack) by its title. */
export function card(section: Locator, title: string): Locator {
  return section.getByRole('listitem', { name: title, exact: true });
}

/** The server's pack folder, from the status route (the same call the panel makes). */
export async function packFolder(page: IJupyterLabPageFixture): Promise<string> {
  const response = await page.request.get('/conda-pack-ext/status');
  expect(response.ok()).toBe(true);
  return (await response.json()).conda_pack_folder;
}
