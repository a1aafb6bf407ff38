import {
  cardJobRequests,
  compareVersions,
  dateValue,
  explorerGroups,
  explorerItems,
  needsMissingGpu
} from '../models/explorer';
import {
  DEFAULT_FRONTEND_SETTINGS,
  readFrontendSettings
} from '../models/frontendSettings';
import { cliCommand } from '../models/packs';
import { IStatus } from '../types';
import { DATA } from './explorerData';

const QUERY = { query: '', arch: 'all' as const, sort: 'name' as const };

describe('compareVersions', () => {
  it('compares numbers as numbers and pre-releases before releases', () => {
    expect(compareVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareVersions('1.0', '1.0.1')).toBeLessThan(0);
    expect(compareVersions('1.0rc1', '1.0')).toBeLessThan(0);
    expect(compareVersions('2.0', '2.0')).toBe(0);
  });
});

describe('dateValue', () => {
  it("reads ADS's manifest dates and ISO dates", () => {
    expect(dateValue('Mon, Jan 08, 2024, 10:00:00  UTC')).toBe(
      Date.UTC(2024, 0, 8, 10, 0, 0)
    );
    expect(dateValue('2024-03-05T09:00:00Z')).toBe(Date.UTC(2024, 2, 5, 9));
    expect(dateValue('soon')).toBe(0);
  });
});

describe('explorerItems', () => {
  it('marks installed and published packs and newer versions', () => {
    const [env] = explorerItems('installed', DATA);
    expect(env.state).toEqual({
      installed: true,
      published: true,
      newerVersion: '1.10'
    });
    const published = explorerItems('published', DATA);
    const old = published.find(item => item.slug === 'team_v1_0')!;
    expect(old.state.installed).toBe(true);
    expect(old.env?.kernels).toEqual(['conda-pack-team_v1_0']);
    expect(old.state.newerVersion).toBe('1.10');
    const torch = published.find(item => item.slug === 'torch_v2')!;
    expect(torch.state).toEqual({
      installed: false,
      published: true,
      newerVersion: null
    });
  });
});

describe('explorerGroups', () => {
  it('shows one card per name, its versions newest first', () => {
    const groups = explorerGroups('published', DATA, QUERY);
    expect(groups.map(group => group.name)).toEqual(['Team', 'Torch']);
    expect(groups[0].items.map(item => item.version)).toEqual(['1.10', '1.0']);
  });

  it('filters by architecture and searches descriptions and libraries', () => {
    const gpu = explorerGroups('published', DATA, { ...QUERY, arch: 'GPU' });
    expect(gpu.map(group => group.name)).toEqual(['Torch']);
    const deep = explorerGroups('published', DATA, { ...QUERY, query: 'deep' });
    expect(deep.map(group => group.name)).toEqual(['Torch']);
    const pandas = explorerGroups('published', DATA, {
      ...QUERY,
      query: 'PANDAS'
    });
    expect(pandas.map(group => group.items.length)).toEqual([1]);
    const xgb = explorerGroups('service', DATA, { ...QUERY, query: 'xgboost' });
    expect(xgb).toHaveLength(1);
  });

  it('sorts by date (newest first) and size (largest first)', () => {
    const byDate = explorerGroups('published', DATA, {
      ...QUERY,
      sort: 'date'
    });
    expect(byDate.map(group => group.name)).toEqual(['Team', 'Torch']);
    const bySize = explorerGroups('published', DATA, {
      ...QUERY,
      sort: 'size'
    });
    expect(bySize.map(group => group.name)).toEqual(['Torch', 'Team']);
  });
});

describe('cardJobRequests', () => {
  it('installs service packs by slug and published ones by URI', () => {
    const [service] = explorerItems('service', DATA);
    expect(cardJobRequests(service, '/c').map(cliCommand)).toEqual([
      'conda-pack-ext install -s generalml_p311_cpu_x86_64_v1 --service -o --conda-pack-folder /c'
    ]);
    const [published] = explorerItems('published', DATA);
    expect(cliCommand(cardJobRequests(published, '')[0])).toBe(
      'conda-pack-ext install -u oci://packs@ns/conda/cpu/Team/1.0/team_v1_0 -o'
    );
    const [env] = explorerItems('installed', DATA);
    expect(cardJobRequests(env, '').map(request => request.kind)).toEqual([
      'publish',
      'pack',
      'uninstall'
    ]);
  });
});

describe('needsMissingGpu', () => {
  const status = (nvidia: boolean) =>
    ({ host: { platform: 'linux-64', nvidia_driver: nvidia } }) as IStatus;
  it('warns about GPU packs on hosts without an NVIDIA driver only', () => {
    expect(needsMissingGpu({ arch_type: 'GPU' }, status(false))).toBe(true);
    expect(needsMissingGpu({ arch_type: 'GPU' }, status(true))).toBe(false);
    expect(needsMissingGpu({ arch_type: 'CPU' }, status(false))).toBe(false);
    expect(needsMissingGpu({ arch_type: 'GPU' }, null)).toBe(false);
  });
});

describe('readFrontendSettings', () => {
  it('keeps valid values and replaces bad ones by the defaults', () => {
    expect(readFrontendSettings({})).toEqual(DEFAULT_FRONTEND_SETTINGS);
    expect(
      readFrontendSettings({
        explorerSource: 'service',
        explorerSort: 'size',
        openExplorerAtStart: true,
        confirmUninstall: false,
        refreshInterval: 0
      })
    ).toEqual({
      explorerSource: 'service',
      explorerSort: 'size',
      openExplorerAtStart: true,
      confirmUninstall: false,
      refreshInterval: 0
    });
    const bad = readFrontendSettings({
      explorerSource: 'everywhere',
      refreshInterval: -5,
      confirmUninstall: 'yes'
    });
    expect(bad).toEqual(DEFAULT_FRONTEND_SETTINGS);
  });
});
