import { nullTranslator } from '@jupyterlab/translation';
import {
  act,
  fireEvent,
  render,
  screen,
  waitFor,
  within
} from '@testing-library/react';
import * as React from 'react';

import { ExplorerView, IExplorerState } from '../components/ExplorerView';
import { PackDetails } from '../components/PackDetails';
import { PublishedSection } from '../components/PublishedSection';
import { UsagePanel } from '../components/UsagePanel';
import { explorerItems } from '../models/explorer';
import { usageQuery, usageSnippets } from '../models/usage';
import { IUsageAnswer } from '../types';
import { DATA } from './explorerData';

const trans = nullTranslator.load('conda_pack_ext');
const loaded = <T,>(data: T) => ({ data, error: null, loading: false });

const STATE: IExplorerState = {
  installed: loaded(DATA.installed),
  published: loaded(DATA.published),
  service: loaded(DATA.service)
};

const actions = () => ({
  install: jest.fn(),
  uninstall: jest.fn(),
  publish: jest.fn(),
  openNotebook: jest.fn(),
  useInOci: jest.fn(),
  details: jest.fn(),
  copy: jest.fn(),
  extra: []
});

function renderExplorer(source: 'installed' | 'published' | 'service') {
  const spy = actions();
  const onSource = jest.fn();
  render(
    <ExplorerView
      state={STATE}
      source={source}
      onSource={onSource}
      initialSort="name"
      busySlugs={new Set()}
      packFolder="/home/me/conda"
      warnGpu={item => item.arch_type === 'GPU'}
      actions={spy}
      onRefresh={jest.fn()}
      trans={trans}
    />
  );
  return { spy, onSource };
}

const cards = () =>
  screen
    .getAllByRole('listitem')
    .filter(item => item.classList.contains('jp-CondaPacks-card'));

describe('ExplorerView', () => {
  it('switches sources with the buttons and the arrow keys', () => {
    const { onSource } = renderExplorer('installed');
    const group = screen.getByRole('group', { name: 'Packs to show' });
    const pressed = within(group).getByRole('button', { pressed: true });
    expect(pressed.textContent).toBe('Installed');
    fireEvent.click(
      within(group).getByRole('button', { name: 'Data Science' })
    );
    expect(onSource).toHaveBeenLastCalledWith('service');
    fireEvent.keyDown(pressed, { key: 'ArrowRight' });
    expect(onSource).toHaveBeenLastCalledWith('published');
  });

  it('shows one card per name with a version selector', () => {
    const { spy } = renderExplorer('published');
    expect(cards().map(card => card.dataset.slug)).toEqual([
      'team_v1_10',
      'torch_v2'
    ]);
    const team = screen.getByRole('listitem', { name: 'Team' });
    const version = within(team).getByRole('combobox', {
      name: 'Version of Team'
    });
    fireEvent.change(version, { target: { value: 'team_v1_0' } });
    expect(team.dataset.slug).toBe('team_v1_0');
    // the older version is installed here (its kernel opens a notebook) and 1.10 exists
    expect(within(team).getByText('installed')).toBeTruthy();
    expect(within(team).getByText('1.10 available')).toBeTruthy();
    fireEvent.click(
      within(team).getByRole('button', {
        name: 'Open a notebook with team_v1_0'
      })
    );
    expect(spy.openNotebook).toHaveBeenCalledWith('conda-pack-team_v1_0');
    fireEvent.click(
      within(team).getByRole('button', { name: 'Install team_v1_0' })
    );
    expect(spy.install.mock.calls[0][0].slug).toBe('team_v1_0');
    fireEvent.click(
      within(team).getByRole('button', { name: 'Use team_v1_0 in OCI' })
    );
    expect(spy.useInOci.mock.calls[0][0].pack_uri).toBe(
      'oci://packs@ns/conda/cpu/Team/1.0/team_v1_0'
    );
  });

  it('filters, searches and warns about GPU packs', () => {
    renderExplorer('published');
    fireEvent.change(screen.getByRole('combobox', { name: 'Architecture' }), {
      target: { value: 'GPU' }
    });
    expect(cards().map(card => card.dataset.slug)).toEqual(['torch_v2']);
    expect(screen.getByRole('note').textContent).toMatch(/no NVIDIA driver/);
    fireEvent.change(screen.getByRole('combobox', { name: 'Architecture' }), {
      target: { value: 'all' }
    });
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search packs' }), {
      target: { value: 'pandas' }
    });
    expect(cards().map(card => card.dataset.slug)).toEqual(['team_v1_0']);
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search packs' }), {
      target: { value: 'nothing like it' }
    });
    expect(screen.getByText('No pack matches the search.')).toBeTruthy();
  });

  it('sorts by size', () => {
    renderExplorer('published');
    fireEvent.change(screen.getByRole('combobox', { name: 'Sort by' }), {
      target: { value: 'size' }
    });
    expect(cards().map(card => card.dataset.slug)).toEqual([
      'torch_v2',
      'team_v1_10'
    ]);
  });

  it('offers publish and uninstall on installed envs', () => {
    const { spy } = renderExplorer('installed');
    const team = screen.getByRole('listitem', { name: 'Team' });
    expect(within(team).getByText('1.10 available')).toBeTruthy();
    fireEvent.click(
      within(team).getByRole('button', { name: 'Publish team_v1_0' })
    );
    expect(spy.publish).toHaveBeenCalled();
    fireEvent.click(
      within(team).getByRole('button', { name: 'Uninstall team_v1_0' })
    );
    expect(spy.uninstall.mock.calls[0][0].env.prefix).toBe(
      '/home/me/conda/team_v1_0'
    );
  });
});

describe('PublishedSection source switch', () => {
  it('shows the service packs, installed by slug', () => {
    const install = jest.fn();
    const onSource = jest.fn();
    render(
      <PublishedSection
        state={loaded(DATA.published!)}
        serviceState={loaded(DATA.service!)}
        source="service"
        onSource={onSource}
        packFolder="/home/me/conda"
        busySlugs={new Set()}
        actions={{
          install,
          useInOci: jest.fn(),
          copy: jest.fn(),
          refresh: jest.fn()
        }}
        trans={trans}
      />
    );
    const card = screen.getByRole('listitem', {
      name: 'General Machine Learning'
    });
    fireEvent.click(
      within(card).getByRole('button', {
        name: 'Install generalml_p311_cpu_x86_64_v1'
      })
    );
    expect(install).toHaveBeenCalledWith(
      DATA.service!.packs[0],
      '/home/me/conda',
      true
    );
    fireEvent.click(screen.getByRole('button', { name: 'Published' }));
    expect(onSource).toHaveBeenCalledWith('published');
  });
});

const JOB_USAGE: IUsageAnswer = {
  target: 'job',
  pack: {
    slug: 'gml_v1',
    uri: 'oci://b@n/p/gml_v1',
    python: '3.11',
    type: 'data_science'
  },
  region: 'us-ashburn-1',
  env: { CONDA_ENV_TYPE: 'service', CONDA_ENV_SLUG: 'gml_v1' },
  ads_python: 'runtime = PythonRuntime().with_service_conda("gml_v1")',
  policy: {
    dynamic_group_rule: "ALL {resource.type='datasciencejobrun'}",
    statements: [],
    note: "service packs are read from Oracle's bucket: no policy needed"
  }
};

describe('usage', () => {
  it('asks for service packs by slug and published ones by URI', () => {
    const service = { slug: 'gml_v1', pack_uri: '', service: true };
    expect(usageQuery(service, 'job')).toBe('for=job&slug=gml_v1&service=1');
    const published = { slug: 'x', pack_uri: 'oci://b@n/p/x', service: false };
    expect(usageQuery(published, 'dataflow')).toBe(
      'for=dataflow&uri=oci%3A%2F%2Fb%40n%2Fp%2Fx'
    );
  });

  it('cuts the answer into snippets', () => {
    expect(usageSnippets(JOB_USAGE)).toEqual([
      {
        kind: 'env',
        text: 'CONDA_ENV_TYPE=service\nCONDA_ENV_SLUG=gml_v1'
      },
      { kind: 'ads-python', text: JOB_USAGE.ads_python },
      {
        kind: 'policy',
        text:
          "# dynamic group matching rule\nALL {resource.type='datasciencejobrun'}\n" +
          "# service packs are read from Oracle's bucket: no policy needed"
      }
    ]);
  });

  it('shows the job variables with a copy button and changes target', async () => {
    const fetchUsage = jest.fn().mockResolvedValue(JOB_USAGE);
    const copy = jest.fn();
    render(
      <UsagePanel
        subject={{ slug: 'gml_v1', pack_uri: '', service: true }}
        fetchUsage={fetchUsage}
        copy={copy}
        trans={trans}
      />
    );
    const variables = await screen.findByRole('region', {
      name: 'Environment variables'
    });
    expect(variables.querySelector('pre')?.textContent).toBe(
      'CONDA_ENV_TYPE=service\nCONDA_ENV_SLUG=gml_v1'
    );
    fireEvent.click(
      within(variables).getByRole('button', {
        name: 'Copy Environment variables'
      })
    );
    expect(copy).toHaveBeenCalledWith(
      'CONDA_ENV_TYPE=service\nCONDA_ENV_SLUG=gml_v1'
    );
    await act(async () => {
      fireEvent.change(screen.getByRole('combobox', { name: 'OCI service' }), {
        target: { value: 'model-deployment' }
      });
    });
    await waitFor(() =>
      expect(fetchUsage).toHaveBeenLastCalledWith(
        'for=model-deployment&slug=gml_v1&service=1'
      )
    );
  });
});

describe('PackDetails', () => {
  it("shows the whole manifest, the libraries and an installed env's packages", async () => {
    const fetchPackages = jest.fn().mockResolvedValue({
      slug: 'team_v1_0',
      prefix: '/home/me/conda/team_v1_0',
      packages: [
        { name: 'pandas', version: '2.2.0', build: 'py311_0', channel: 'c' },
        { name: 'python', version: '3.11.8', build: 'h1_0', channel: 'c' }
      ]
    });
    const item = explorerItems('published', DATA)[0];
    render(
      <PackDetails item={item} fetchPackages={fetchPackages} trans={trans} />
    );
    expect(screen.getByText('create_date')).toBeTruthy();
    expect(screen.getByText(/^Mon, Jan 08, 2024/)).toBeTruthy();
    const libraries = screen.getByRole('list', {
      name: 'Libraries of team_v1_0'
    });
    expect(within(libraries).getByText('pandas (v2)')).toBeTruthy();
    const table = await screen.findByRole('table', {
      name: 'Packages of team_v1_0'
    });
    expect(fetchPackages).toHaveBeenCalledWith('team_v1_0');
    expect(
      within(table)
        .getAllByRole('row')
        .map(row => row.textContent)
    ).toEqual(['NameVersionBuild', 'pandas2.2.0py311_0', 'python3.11.8h1_0']);
  });
});
