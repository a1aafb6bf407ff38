import {
  cliCommand,
  envJob,
  filterPacks,
  installJob,
  formatSizeMb,
  PacksModel
} from '../models/packs';
import { IManifest } from '../types';

const PACKS: IManifest[] = [
  {
    name: 'Data Tools',
    slug: 'datatools_v1_0',
    version: '1.0',
    arch_type: 'CPU',
    description: 'pandas and friends',
    libraries: ['pandas=2.2.0', 'numpy=1.26.4']
  },
  {
    name: 'Torch',
    slug: 'torch_v2',
    version: '2',
    arch_type: 'GPU',
    libraries: ['pytorch=2.3.0']
  }
];

describe('filterPacks', () => {
  it('matches every word of the search in names, descriptions and libraries', () => {
    expect(filterPacks(PACKS, '', 'all').map(p => p.slug)).toEqual([
      'datatools_v1_0',
      'torch_v2'
    ]);
    expect(filterPacks(PACKS, 'PANDAS', 'all').map(p => p.slug)).toEqual([
      'datatools_v1_0'
    ]);
    expect(filterPacks(PACKS, 'friends numpy', 'all')).toHaveLength(1);
    expect(filterPacks(PACKS, 'pandas torch', 'all')).toHaveLength(0);
  });

  it('filters by CPU or GPU', () => {
    expect(filterPacks(PACKS, '', 'GPU').map(p => p.slug)).toEqual([
      'torch_v2'
    ]);
    expect(filterPacks(PACKS, 'torch', 'CPU')).toHaveLength(0);
  });
});

describe('the CLI command of each card action', () => {
  const env = { slug: 'myenv_v1_0' };

  it('repeats the Installed card actions with the same flags', () => {
    expect(cliCommand(envJob('publish', env, '/home/me/conda'))).toBe(
      'conda-pack-ext publish -s myenv_v1_0 -o --conda-pack-folder /home/me/conda'
    );
    expect(cliCommand(envJob('pack', env, '/home/me/conda'))).toBe(
      'conda-pack-ext pack -s myenv_v1_0 -o --conda-pack-folder /home/me/conda'
    );
    expect(cliCommand(envJob('uninstall', env, '/home/me/conda'))).toBe(
      'conda-pack-ext uninstall -s myenv_v1_0 --conda-pack-folder /home/me/conda'
    );
    // Without a pack folder the CLI uses the configured one, as the server does.
    expect(cliCommand(envJob('publish', env, ''))).toBe(
      'conda-pack-ext publish -s myenv_v1_0 -o'
    );
  });

  it('sends the jobs those commands describe', () => {
    expect(envJob('uninstall', env, '/p')).toEqual({
      kind: 'uninstall',
      params: { slug: 'myenv_v1_0', conda_pack_folder: '/p' }
    });
    expect(envJob('pack', env, '')).toEqual({
      kind: 'pack',
      params: { slug: 'myenv_v1_0', overwrite: true }
    });
  });

  it('installs a published pack from its URI, or by slug without one', () => {
    const pack = {
      ...PACKS[0],
      pack_uri: 'oci://packs@tenancy/conda/cpu/Data Tools/1.0/datatools_v1_0'
    };
    expect(cliCommand(installJob(pack, '/home/me/my packs'))).toBe(
      "conda-pack-ext install -u 'oci://packs@tenancy/conda/cpu/Data Tools/1.0/datatools_v1_0' -o --conda-pack-folder '/home/me/my packs'"
    );
    expect(cliCommand(installJob(PACKS[1], ''))).toBe(
      'conda-pack-ext install -s torch_v2 -o'
    );
  });

  it('quotes a value with a quote for the shell', () => {
    expect(cliCommand(envJob('uninstall', { slug: "it's" }, ''))).toBe(
      "conda-pack-ext uninstall -s 'it'\\''s'"
    );
  });
});

describe('formatSizeMb', () => {
  it('writes sizes in MB or GB', () => {
    expect(formatSizeMb(33)).toBe('33.0 MB');
    expect(formatSizeMb(2500)).toBe('2.5 GB');
    expect(formatSizeMb(null)).toBe('');
  });
});

describe('PacksModel', () => {
  it('loads both lists and keeps a failure apart', async () => {
    const model = new PacksModel({
      envs: async () => ({
        conda_pack_folder: '/p',
        store_uri: 'file:///s',
        store_error: null,
        envs: []
      }),
      published: async () => {
        throw new Error('store unreachable');
      }
    });
    await model.refresh();
    expect(model.installed.data?.conda_pack_folder).toBe('/p');
    expect(model.published.error?.message).toBe('store unreachable');
  });
});
