import { nullTranslator } from '@jupyterlab/translation';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { TabBar } from '@lumino/widgets';
import * as React from 'react';

import { CondaPacksPanel } from '../components/CondaPacksPanel';
import { StatusSection } from '../components/StatusSection';
import { StatusModel } from '../models/status';
import { errorFromResponse } from '../request';
import { ILoadable, IStatus } from '../types';

const trans = nullTranslator.load('conda_pack_ext');

const STATUS: IStatus = {
  version: '0.1.0',
  builders: [
    { name: 'rattler', kind: 'embedded', version: '0.28.1', path: null },
    { name: 'micromamba', kind: 'external', path: '/usr/local/bin/micromamba' }
  ],
  engine: 'rattler',
  conda_pack_folder: '/home/user/conda',
  store_uri: 'oci://packs@tenancy/conda_environments',
  auth: 'api_key',
  config_path: '/home/user/.ads_ops/config.ini'
};

function renderState(state: ILoadable<IStatus>, onRefresh = jest.fn()) {
  render(<StatusSection state={state} trans={trans} onRefresh={onRefresh} />);
  return onRefresh;
}

/** The text shown next to a label of the facts list. */
function valueOf(label: string): string {
  const fact = screen.getByRole('group', { name: label });
  return within(fact).getByRole('definition').textContent ?? '';
}

describe('StatusSection', () => {
  it('shows the engine, builders, pack folder, store and auth mode', () => {
    renderState({ data: STATUS, error: null, loading: false });
    expect(valueOf('Engine')).toBe('rattler');
    const builders = screen
      .getAllByRole('listitem')
      .map(item => item.textContent);
    expect(builders).toEqual([
      'rattler (embedded, 0.28.1)',
      'micromamba (external, /usr/local/bin/micromamba)'
    ]);
    expect(valueOf('Pack folder')).toBe('/home/user/conda');
    expect(valueOf('Store')).toBe(
      'OCI Object Storageoci://packs@tenancy/conda_environments'
    );
    expect(valueOf('Authentication')).toBe('API key (OCI config file)');
  });

  it('tells the user to install the server part when its routes are missing', () => {
    renderState({
      data: null,
      error: errorFromResponse(404, 'Not Found'),
      loading: false
    });
    expect(screen.getByRole('alert').textContent).toBe(
      'The conda-pack-ext server extension is not installed or not enabled.' +
        'Run: pip install conda-pack-ext, then restart JupyterLab.'
    );
  });

  it('asks the server again from the refresh button', () => {
    const onRefresh = renderState({
      data: STATUS,
      error: null,
      loading: false
    });
    fireEvent.click(screen.getByRole('button', { name: 'Refresh status' }));
    expect(onRefresh).toHaveBeenCalledTimes(1);
  });
});

describe('StatusModel', () => {
  it('holds the answer, then the error of a later failed refresh', async () => {
    let answer: () => Promise<IStatus> = async () => STATUS;
    const model = new StatusModel(() => answer());
    const seen: boolean[] = [];
    model.changed.connect((_, state) => seen.push(state.loading));

    await model.refresh();
    expect(model.state.data?.engine).toBe('rattler');

    answer = async () => {
      throw errorFromResponse(500, {
        code: 'error',
        message: 'config.ini is unreadable'
      });
    };
    await model.refresh();
    expect(model.state.data).toBeNull();
    expect(model.state.error?.message).toBe('config.ini is unreadable');
    expect(seen).toEqual([true, false, true, false]);
  });
});

describe('CondaPacksPanel', () => {
  it('shows one tab per section and the selected one', async () => {
    render(
      <CondaPacksPanel
        trans={trans}
        sections={[
          {
            id: 'status',
            label: 'Status',
            render: () => <p>status content</p>
          },
          {
            id: 'installed',
            label: 'Installed',
            render: () => <p>installed content</p>
          }
        ]}
      />
    );
    expect(screen.getByRole('tabpanel').textContent).toBe('status content');
    // Tabs activate on focus (a click focuses too; jsdom cannot place Lumino's pointer).
    await act(async () => {
      screen.getByRole('tab', { name: 'Installed' }).focus();
    });
    expect(
      screen
        .getByRole('tab', { name: 'Installed' })
        .getAttribute('aria-selected')
    ).toBe('true');
    expect(screen.getByRole('tabpanel').textContent).toBe('installed content');
  });
});

describe('CondaPacksPanel tabs', () => {
  const sections = ['Installed', 'Published', 'Create'].map(label => ({
    id: label.toLowerCase(),
    label,
    render: () => <p>{label} content</p>
  }));

  it('moves between tabs with the arrow keys, Home and End', async () => {
    render(<CondaPacksPanel trans={trans} sections={sections} />);
    const tablist = screen.getByRole('tablist');
    const selected = () =>
      screen
        .getAllByRole('tab')
        .filter(tab => tab.getAttribute('aria-selected') === 'true')
        .map(tab => tab.getAttribute('aria-label'));
    await act(async () => {
      fireEvent.keyDown(tablist, { key: 'ArrowLeft' });
    });
    expect(selected()).toEqual(['Create']);
    await act(async () => {
      fireEvent.keyDown(tablist, { key: 'Home' });
    });
    expect(selected()).toEqual(['Installed']);
    await act(async () => {
      fireEvent.keyDown(tablist, { key: 'End' });
    });
    expect(selected()).toEqual(['Create']);
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Create');
    // Every tab has its label as tooltip, also when only its icon shows.
    expect(screen.getAllByRole('tab').map(tab => tab.title)).toEqual([
      'Installed',
      'Published',
      'Create'
    ]);
  });

  it('ties the selected tab and its panel together for screen readers', async () => {
    render(
      <CondaPacksPanel
        trans={trans}
        sections={sections}
        initialSection="published"
      />
    );
    const tablist = screen.getByRole('tablist', {
      name: 'Conda Packs sections'
    });
    const tabs = within(tablist).getAllByRole('tab');
    expect(tabs.map(tab => tab.getAttribute('aria-selected'))).toEqual([
      'false',
      'true',
      'false'
    ]);
    // One tab in the page's tab order: the selected one.
    expect(tabs.map(tab => tab.tabIndex)).toEqual([-1, 0, -1]);
    const panel = screen.getByRole('tabpanel', { name: 'Published' });
    expect(panel.textContent).toBe('Published content');
    expect(tabs[1].getAttribute('aria-controls')).toBe(panel.id);
    expect(tabs[0].hasAttribute('aria-controls')).toBe(false);
  });

  it('follows the selection its owner sets, without reporting it back', async () => {
    const onSelect = jest.fn();
    const { rerender } = render(
      <CondaPacksPanel
        trans={trans}
        sections={sections}
        selected="installed"
        onSelect={onSelect}
      />
    );
    rerender(
      <CondaPacksPanel
        trans={trans}
        sections={sections}
        selected="create"
        onSelect={onSelect}
      />
    );
    expect(
      screen.getByRole('tab', { name: 'Create' }).getAttribute('aria-selected')
    ).toBe('true');
    expect(screen.getByRole('tabpanel').textContent).toBe('Create content');
    expect(onSelect).not.toHaveBeenCalled();
    await act(async () => {
      fireEvent.keyDown(screen.getByRole('tab', { name: 'Create' }), {
        key: 'ArrowRight'
      });
    });
    expect(onSelect).toHaveBeenCalledWith('installed');
  });

  it('moves between tabs itself where Lumino does not (JupyterLab 4.0.0 to 4.0.x)', async () => {
    // Lumino before 2.3 leaves a tab bar's keys alone.
    const keys = jest
      .spyOn(
        TabBar.prototype as unknown as { _evtKeyDown: () => void },
        '_evtKeyDown'
      )
      .mockImplementation(() => undefined);
    try {
      render(<CondaPacksPanel trans={trans} sections={sections} />);
      const tab = (name: string) => screen.getByRole('tab', { name });
      await act(async () => {
        fireEvent.keyDown(tab('Installed'), { key: 'ArrowRight' });
      });
      expect(keys).toHaveBeenCalled();
      expect(document.activeElement).toBe(tab('Published'));
      expect(tab('Published').getAttribute('aria-selected')).toBe('true');
      await act(async () => {
        fireEvent.keyDown(tab('Published'), { key: 'End' });
      });
      expect(tab('Create').getAttribute('aria-selected')).toBe('true');
      expect(screen.getByRole('tabpanel').textContent).toBe('Create content');
    } finally {
      keys.mockRestore();
    }
  });

  it('opens the settings from the header gear', () => {
    const onSettings = jest.fn();
    render(
      <CondaPacksPanel
        trans={trans}
        sections={sections}
        onSettings={onSettings}
      />
    );
    // A toolbar button (a jp-button web component; jsdom gives it no role).
    fireEvent.click(screen.getByTitle('Conda Packs settings'));
    expect(onSettings).toHaveBeenCalledTimes(1);
  });
});
