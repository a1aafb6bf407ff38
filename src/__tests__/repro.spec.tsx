import { nullTranslator } from '@jupyterlab/translation';
import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import { CompareView, DiffTable } from '../components/CompareView';
import { PackCard } from '../components/PackCard';
import {
  compareCandidates,
  diffQuery,
  diffRows,
  envRef,
  explorerItemRef,
  licenseSummary,
  nextVersion,
  publishedRef,
  rebuildJob
} from '../models/repro';
import { explorerItems } from '../models/explorer';
import { IDiffAnswer, ILocalEnv } from '../types';

const trans = nullTranslator.load('conda_pack_ext');

describe('licenseSummary', () => {
  it('names the first three groups and counts the rest', () => {
    const licenses = ['MIT (12)', 'BSD-3-Clause (4)', 'Apache-2.0 (3)'];
    expect(licenseSummary(licenses)).toBe(
      'MIT (12), BSD-3-Clause (4), Apache-2.0 (3)'
    );
    expect(licenseSummary([...licenses, 'GPL-3.0 (1)', 'unknown (2)'])).toBe(
      'MIT (12), BSD-3-Clause (4), Apache-2.0 (3), +2 more'
    );
  });

  it('is empty without licenses or with something else than names', () => {
    expect(licenseSummary(undefined)).toBe('');
    expect(licenseSummary([])).toBe('');
    expect(licenseSummary('MIT')).toBe('');
    expect(licenseSummary([{ MIT: 1 }, 'MIT (1)'])).toBe('MIT (1)');
  });
});

describe('PackCard license line', () => {
  const card = (licenses?: string[]) =>
    render(
      <ul>
        <PackCard
          subject={{ slug: 'a_v1', name: 'A', licenses }}
          idPrefix="test"
          trans={trans}
          facts={null}
          actions={null}
          cli={{ toggle: null, list: null }}
        />
      </ul>
    );

  it('shows the licenses of a pack that has them', () => {
    card(['MIT (12)', 'BSD-3-Clause (4)', 'Zlib (1)', 'ISC (2)']);
    expect(screen.getByRole('group', { name: 'Licenses' }).textContent).toBe(
      'LicensesMIT (12), BSD-3-Clause (4), Zlib (1), +1 more'
    );
  });

  it('shows no license line for a pack made by ADS', () => {
    card();
    expect(screen.queryByRole('group', { name: 'Licenses' })).toBeNull();
  });
});

describe('rebuild', () => {
  it('suggests the next version', () => {
    expect(nextVersion('1.0')).toBe('1.1');
    expect(nextVersion('2.3-beta4')).toBe('2.3-beta5');
    expect(nextVersion('v9')).toBe('v10');
    expect(nextVersion('stable')).toBe('stable.1');
    expect(nextVersion('')).toBe('1.0');
  });

  it('submits a create job from the lock of the source', () => {
    expect(
      rebuildJob('myenv_v1_0', { name: ' My Env ', version: '1.1' }, '/c')
    ).toEqual({
      kind: 'create',
      params: {
        from_lock: 'myenv_v1_0',
        name: 'My Env',
        version: '1.1',
        conda_pack_folder: '/c'
      }
    });
    expect(
      rebuildJob('file:///srv/packs/a', { name: 'A', version: '' }, '')
    ).toEqual({
      kind: 'create',
      params: { from_lock: 'file:///srv/packs/a', name: 'A' }
    });
  });
});

const ENV: ILocalEnv = {
  slug: 'myenv_v1_0',
  name: 'My Env',
  version: '1.0',
  python: '3.11',
  arch_type: 'CPU',
  size_mb: 33,
  prefix: '/c/myenv_v1_0',
  kernels: [],
  pack_uri: '',
  managed: true
};
const PUBLISHED = {
  name: 'My Env',
  slug: 'myenv_v1_0',
  version: '1.0',
  pack_uri: 'file:///srv/packs/cpu/My%20Env/1.0/myenv_v1_0'
};
const DIFF: IDiffAnswer = {
  from: '/c/a',
  to: '/c/b',
  added: [
    { name: 'zlib', kind: 'conda', version: '1.3', build: 'h0' },
    { name: 'attrs', kind: 'pypi', version: '23.1', build: '' }
  ],
  removed: [{ name: 'six', kind: 'conda', version: '1.16', build: 'py_0' }],
  changed: [
    {
      name: 'python',
      kind: 'conda',
      from_version: '3.11.2',
      from_build: 'h1',
      to_version: '3.12.0',
      to_build: 'h2'
    }
  ]
};

describe('compare', () => {
  it('offers every other installed env and published pack', () => {
    const subject = envRef(ENV);
    const candidates = compareCandidates([ENV], [PUBLISHED], subject);
    expect(candidates).toEqual([publishedRef(PUBLISHED)]);
    expect(publishedRef(PUBLISHED).lockSource).toBe(PUBLISHED.pack_uri);
    expect(envRef(ENV).lockSource).toBe('myenv_v1_0');
    expect(diffQuery(subject, candidates[0])).toBe(
      'a=myenv_v1_0&a_published=0&b=myenv_v1_0&b_published=1'
    );
  });

  it('orders rows added, removed, changed, each by name', () => {
    expect(diffRows(DIFF)).toEqual([
      { change: 'added', name: 'attrs', kind: 'pypi', from: '', to: '23.1' },
      { change: 'added', name: 'zlib', kind: 'conda', from: '', to: '1.3 h0' },
      {
        change: 'removed',
        name: 'six',
        kind: 'conda',
        from: '1.16 py_0',
        to: ''
      },
      {
        change: 'changed',
        name: 'python',
        kind: 'conda',
        from: '3.11.2 h1',
        to: '3.12.0 h2'
      }
    ]);
  });

  it('renders the difference as a table', () => {
    render(<DiffTable rows={diffRows(DIFF)} trans={trans} />);
    const python = screen.getByRole('row', { name: /python/ });
    expect(Array.from(python.children).map(cell => cell.textContent)).toEqual([
      'python',
      'conda',
      'changed',
      '3.11.2 h1',
      '3.12.0 h2'
    ]);
    expect(screen.getAllByRole('row')).toHaveLength(5); // with the header
  });

  it('says so when nothing differs', () => {
    render(<DiffTable rows={[]} trans={trans} />);
    expect(screen.getByText('Both hold the same packages.')).toBeTruthy();
  });

  it('fetches the difference with the pack picked', async () => {
    const fetchDiff = jest.fn().mockResolvedValue(DIFF);
    const subject = envRef(ENV);
    render(
      <CompareView
        subject={subject}
        candidates={[publishedRef(PUBLISHED)]}
        fetchDiff={fetchDiff}
        trans={trans}
      />
    );
    fireEvent.change(
      screen.getByRole('combobox', { name: 'Pack to compare myenv_v1_0 with' }),
      { target: { value: 'published:myenv_v1_0' } }
    );
    expect(await screen.findByRole('row', { name: /six/ })).toBeTruthy();
    expect(fetchDiff).toHaveBeenCalledWith(
      'a=myenv_v1_0&a_published=0&b=myenv_v1_0&b_published=1'
    );
  });
});

describe('explorer cards', () => {
  it('compare and rebuild installed and published packs, not service ones', () => {
    const data = {
      installed: {
        conda_pack_folder: '/c',
        store_uri: '',
        store_error: null,
        envs: [ENV]
      },
      published: { store_uri: 'file:///srv/packs', packs: [PUBLISHED] },
      service: { index_uri: 'oci://x', packs: [{ name: 'S', slug: 's_v1' }] }
    };
    const [installed] = explorerItems('installed', data);
    const [published] = explorerItems('published', data);
    const [service] = explorerItems('service', data);
    expect(explorerItemRef(installed)).toEqual(envRef(ENV));
    expect(explorerItemRef(published)).toEqual(publishedRef(PUBLISHED));
    expect(explorerItemRef(service)).toBeNull();
  });
});
