import { nullTranslator } from '@jupyterlab/translation';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';

import { ActivitySection } from '../components/ActivitySection';
import { CreateSection } from '../components/CreateSection';
import { InstalledSection } from '../components/InstalledSection';
import { PublishedSection } from '../components/PublishedSection';
import { EMPTY_FORM } from '../models/createForm';
import { IJobView } from '../models/jobs';
import { errorFromResponse } from '../request';
import { IEnvsAnswer, IPublishedAnswer } from '../types';

const trans = nullTranslator.load('conda_pack_ext');

const ENVS: IEnvsAnswer = {
  conda_pack_folder: '/home/me/conda',
  store_uri: 'file:///srv/packs',
  store_error: null,
  envs: [
    {
      slug: 'myenv_v1_0',
      name: 'My Env',
      version: '1.0',
      python: '3.11.2',
      arch_type: 'CPU',
      size_mb: 33,
      prefix: '/home/me/conda/myenv_v1_0',
      kernels: ['conda-pack-myenv_v1_0'],
      pack_uri: '',
      managed: true,
      states: ['built', 'packed'],
      create_date: 'Mon, Jan 06, 2025, 10:00:00 UTC UTC'
    }
  ]
};

const PUBLISHED: IPublishedAnswer = {
  store_uri: 'file:///srv/packs',
  packs: [
    {
      name: 'My Env',
      slug: 'myenv_v1_0',
      version: '1.0',
      arch_type: 'CPU',
      description: 'Tools for the team',
      python: '3.11.2',
      size_mb: 33,
      libraries: ['cpe-testapp=1.0'],
      pack_uri: 'file:///srv/packs/cpu/My%20Env/1.0/myenv_v1_0'
    },
    { name: 'Torch', slug: 'torch_v2', arch_type: 'GPU' }
  ]
};

const loaded = <T,>(data: T) => ({ data, error: null, loading: false });

describe('InstalledSection', () => {
  const actions = () => ({
    publish: jest.fn(),
    repack: jest.fn(),
    uninstall: jest.fn(),
    copy: jest.fn(),
    openNotebook: jest.fn(),
    refresh: jest.fn()
  });

  it('shows a card per env with its facts, and runs its actions', () => {
    const spy = actions();
    render(
      <InstalledSection
        state={loaded(ENVS)}
        busySlugs={new Set()}
        actions={spy}
        trans={trans}
      />
    );
    const card = screen.getByRole('listitem', { name: 'My Env' });
    const fact = (label: string) =>
      within(card).getByRole('group', { name: label }).querySelector('dd')
        ?.textContent;
    expect(fact('Slug')).toBe('myenv_v1_0');
    expect(fact('Python')).toBe('3.11.2');
    expect(fact('Size')).toBe('33.0 MB');
    expect(fact('Kernel')).toBe('conda-pack-myenv_v1_0');
    fireEvent.click(
      within(card).getByRole('button', { name: 'Publish myenv_v1_0' })
    );
    expect(spy.publish).toHaveBeenCalledWith(ENVS.envs[0]);
    // The CLI commands show on request: one per action, each copied as shown.
    const toggle = within(card).getByRole('button', {
      name: 'CLI commands of myenv_v1_0'
    });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const commands = within(card).getByRole('list', {
      name: 'CLI commands of myenv_v1_0'
    });
    expect(
      within(commands)
        .getAllByRole('listitem')
        .map(item => item.querySelector('code')?.textContent)
    ).toEqual([
      'conda-pack-ext publish -s myenv_v1_0 -o --conda-pack-folder /home/me/conda',
      'conda-pack-ext pack -s myenv_v1_0 -o --conda-pack-folder /home/me/conda',
      'conda-pack-ext uninstall -s myenv_v1_0 --conda-pack-folder /home/me/conda'
    ]);
    for (const [action, command] of [
      ['publish', 'publish -s myenv_v1_0 -o'],
      ['re-pack', 'pack -s myenv_v1_0 -o'],
      ['uninstall', 'uninstall -s myenv_v1_0']
    ]) {
      fireEvent.click(
        within(commands).getByRole('button', {
          name: `Copy the ${action} command of myenv_v1_0`
        })
      );
      expect(spy.copy).toHaveBeenLastCalledWith(
        `conda-pack-ext ${command} --conda-pack-folder /home/me/conda`
      );
    }
    fireEvent.click(
      within(card).getByRole('button', {
        name: 'Open a notebook with myenv_v1_0'
      })
    );
    expect(spy.openNotebook).toHaveBeenCalledWith('conda-pack-myenv_v1_0');
  });

  it('waits while a job works on the env', () => {
    render(
      <InstalledSection
        state={loaded(ENVS)}
        busySlugs={new Set(['myenv_v1_0'])}
        actions={actions()}
        trans={trans}
      />
    );
    expect(
      (
        screen.getByRole('button', {
          name: 'Uninstall myenv_v1_0'
        }) as HTMLButtonElement
      ).disabled
    ).toBe(true);
  });
});

describe('PublishedSection', () => {
  const actions = () => ({
    install: jest.fn(),
    useInOci: jest.fn(),
    copy: jest.fn(),
    refresh: jest.fn()
  });
  /** The store's list is shown (the Data Science one not read yet). */
  const SOURCE = {
    serviceState: { data: null, error: null, loading: false },
    source: 'published' as const,
    onSource: jest.fn()
  };

  it('shows the helpful empty state of an empty store', () => {
    render(
      <PublishedSection
        {...SOURCE}
        state={loaded({ store_uri: 'file:///srv/packs', packs: [] })}
        packFolder="/home/me/conda"
        busySlugs={new Set()}
        actions={actions()}
        trans={trans}
      />
    );
    expect(screen.getByText(/^No packs published/).textContent).toBe(
      'No packs published in file:///srv/packs yet. Create one in the Create tab and ' +
        'publish it, or rescan if packs were published with ADS.'
    );
  });

  it('filters by text and architecture and installs into the chosen folder', () => {
    const spy = actions();
    render(
      <PublishedSection
        {...SOURCE}
        state={loaded(PUBLISHED)}
        packFolder="/home/me/conda"
        busySlugs={new Set()}
        actions={spy}
        trans={trans}
      />
    );
    expect(screen.getAllByRole('listitem')).toHaveLength(2);
    fireEvent.change(screen.getByRole('combobox', { name: 'Architecture' }), {
      target: { value: 'GPU' }
    });
    expect(
      screen.getAllByRole('listitem').map(item => item.dataset.slug)
    ).toEqual(['torch_v2']);
    fireEvent.change(screen.getByRole('combobox', { name: 'Architecture' }), {
      target: { value: 'all' }
    });
    fireEvent.change(
      screen.getByRole('searchbox', { name: 'Search published packs' }),
      {
        target: { value: 'team' }
      }
    );
    const card = screen.getByRole('listitem', { name: 'My Env' });
    expect(within(card).getByText('Tools for the team')).toBeTruthy();
    fireEvent.click(
      within(card).getByRole('button', { name: 'Install myenv_v1_0' })
    );
    expect(spy.install).toHaveBeenCalledWith(
      PUBLISHED.packs[0],
      '/home/me/conda',
      false
    );
    fireEvent.change(
      screen.getByRole('textbox', { name: 'Install into folder' }),
      {
        target: { value: '/data/other' }
      }
    );
    fireEvent.click(
      within(card).getByRole('button', { name: 'Install myenv_v1_0' })
    );
    expect(spy.install).toHaveBeenLastCalledWith(
      PUBLISHED.packs[0],
      '/data/other',
      false
    );
    fireEvent.click(
      within(card).getByRole('button', {
        name: 'Copy the source URI of myenv_v1_0'
      })
    );
    expect(spy.copy).toHaveBeenCalledWith(PUBLISHED.packs[0].pack_uri);

    // The install command installs from the same URI into the chosen folder.
    fireEvent.click(
      within(card).getByRole('button', { name: 'CLI commands of myenv_v1_0' })
    );
    fireEvent.click(
      within(card).getByRole('button', {
        name: 'Copy the install command of myenv_v1_0'
      })
    );
    expect(spy.copy).toHaveBeenLastCalledWith(
      "conda-pack-ext install -u 'file:///srv/packs/cpu/My%20Env/1.0/myenv_v1_0' -o --conda-pack-folder /data/other"
    );
  });

  it('shows the store error with its hint', () => {
    render(
      <PublishedSection
        {...SOURCE}
        state={{
          data: null,
          loading: false,
          error: errorFromResponse(401, {
            code: 'auth_error',
            message: 'the store refused the credentials',
            hint: 'check oci_config'
          })
        }}
        packFolder=""
        busySlugs={new Set()}
        actions={actions()}
        trans={trans}
      />
    );
    expect(screen.getByRole('alert').textContent).toBe(
      'the store refused the credentialscheck oci_config'
    );
  });
});

describe('CreateSection', () => {
  function renderForm(submit = jest.fn(async () => undefined)) {
    render(
      <CreateSection
        initialForm={{ ...EMPTY_FORM, source: 'text' }}
        engines={['auto', 'rattler']}
        trans={trans}
        onFormChange={jest.fn()}
        selectedFile={() => 'envs/environment.yml'}
        readFile={async () => 'dependencies: [python]\n'}
        submit={submit}
      />
    );
    return submit;
  }

  it('shows the YAML error and the live slug, and sends nothing while invalid', async () => {
    const submit = renderForm();
    fireEvent.change(
      screen.getByRole('textbox', { name: 'Environment YAML' }),
      {
        target: { value: 'name: [unclosed\n' }
      }
    );
    expect(screen.getAllByRole('alert')[0].textContent).toMatch(
      /^Line 2, column 1: /
    );
    fireEvent.change(
      screen.getByRole('textbox', { name: 'Environment YAML' }),
      {
        target: { value: 'name: x\ndependencies:\n  - python\n' }
      }
    );
    fireEvent.change(screen.getByRole('textbox', { name: 'Pack name' }), {
      target: { value: 'My Env' }
    });
    expect(screen.getByRole('status', { name: 'Slug' }).textContent).toContain(
      'myenv_v1_0'
    );
    fireEvent.change(screen.getByRole('textbox', { name: 'Pack name' }), {
      target: { value: 'Bad#Env' }
    });
    expect(screen.getByRole('alert').textContent).toContain(
      'which ADS refuses'
    );
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Create pack' }));
    });
    expect(submit).not.toHaveBeenCalled();
  });

  it("shows the server's error next to the form", async () => {
    const submit = renderForm(
      jest.fn(async () => {
        throw errorFromResponse(409, {
          code: 'conflict',
          message: "another job is working on 'myenv_v1_0'",
          hint: 'wait for it'
        });
      })
    );
    fireEvent.change(
      screen.getByRole('textbox', { name: 'Environment YAML' }),
      {
        target: { value: 'name: My Env\ndependencies:\n  - python\n' }
      }
    );
    fireEvent.click(
      screen.getByRole('checkbox', { name: 'Publish when built' })
    );
    await act(async () => {
      fireEvent.click(
        screen.getByRole('button', { name: 'Create and publish' })
      );
    });
    expect(submit).toHaveBeenCalledWith('publish', {
      environment: 'name: My Env\ndependencies:\n  - python\n',
      version: '1.0'
    });
    expect(screen.getByRole('alert').textContent).toBe(
      "another job is working on 'myenv_v1_0'wait for it"
    );
  });

  it('takes the file selected in the file browser', async () => {
    renderForm();
    fireEvent.click(screen.getByRole('radio', { name: 'Environment file' }));
    fireEvent.click(
      screen.getByRole('button', {
        name: 'Use the file selected in the file browser'
      })
    );
    expect(
      (
        screen.getByRole('textbox', {
          name: 'Environment file path'
        }) as HTMLInputElement
      ).value
    ).toBe('envs/environment.yml');
  });
});

describe('ActivitySection', () => {
  const running: IJobView = {
    id: 'a',
    kind: 'install',
    slug: 'myenv_v1_0',
    state: 'running',
    phase: 'downloading',
    progress: { done: 10e6, total: 40e6, unit: 'bytes', rate: 2e6 },
    log: ['downloading file:///srv/packs/...'],
    created: '2025-01-01T10:00:00Z'
  };
  const failed: IJobView = {
    ...running,
    id: 'b',
    kind: 'create',
    slug: 'broken_v1',
    state: 'failed',
    error: {
      code: 'build_failed',
      message: 'nothing provides foo',
      hint: 'check the channels'
    },
    log: []
  };

  it('shows progress, log and cancel for running jobs, and the history', () => {
    const actions = {
      cancel: jest.fn(),
      loadLog: jest.fn(),
      refresh: jest.fn()
    };
    render(
      <ActivitySection
        jobs={[running, failed]}
        error={null}
        actions={actions}
        trans={trans}
      />
    );
    const bar = screen.getByRole('progressbar', {
      name: 'Progress of Install myenv_v1_0'
    });
    expect(bar.getAttribute('aria-valuenow')).toBe('25');
    expect(bar.getAttribute('aria-valuetext')).toBe(
      '10.0 MB of 40.0 MB · 2.0 MB/s · 15 s left'
    );
    expect(
      screen.getByRole('log', { name: 'Log of Install myenv_v1_0' }).textContent
    ).toBe('downloading file:///srv/packs/...');
    fireEvent.click(
      screen.getByRole('button', { name: 'Cancel Install myenv_v1_0' })
    );
    expect(actions.cancel).toHaveBeenCalledWith(running);
    const history = screen.getByRole('list', { name: 'Job history' });
    expect(within(history).getByRole('alert').textContent).toBe(
      'nothing provides foocheck the channels'
    );
  });

  it('shows a bar with no value while the total is unknown, then the amount', () => {
    const actions = {
      cancel: jest.fn(),
      loadLog: jest.fn(),
      refresh: jest.fn()
    };
    const solving: IJobView = {
      ...running,
      phase: 'solving',
      progress: { done: 0, total: null, unit: 'items', rate: null }
    };
    const { rerender } = render(
      <ActivitySection
        jobs={[solving]}
        error={null}
        actions={actions}
        trans={trans}
      />
    );
    const bar = () =>
      screen.getByRole('progressbar', {
        name: 'Progress of Install myenv_v1_0'
      });
    // JupyterLab's own progress bar (the status bar's), as a screen reader meets it.
    expect(bar().className).toBe('jp-Statusbar-ProgressBar-progress-bar');
    expect(bar().hasAttribute('aria-valuenow')).toBe(false);
    expect(bar().getAttribute('aria-valuetext')).toBe('solving');
    expect(bar().parentElement!.classList).toContain('jp-mod-indeterminate');
    rerender(
      <ActivitySection
        jobs={[running]}
        error={null}
        actions={actions}
        trans={trans}
      />
    );
    expect(bar().getAttribute('aria-valuenow')).toBe('25');
    expect(bar().getAttribute('aria-valuetext')).toBe(
      '10.0 MB of 40.0 MB · 2.0 MB/s · 15 s left'
    );
    expect(bar().parentElement!.classList).not.toContain(
      'jp-mod-indeterminate'
    );
    // The fill shows the amount done.
    expect((bar().firstElementChild as HTMLElement).style.width).toBe('25%');
  });
});
