import { nullTranslator } from '@jupyterlab/translation';
import { render, screen } from '@testing-library/react';
import * as React from 'react';

import { PackCard } from '../components/PackCard';
import { licenseSummary, nextVersion, rebuildJob } from '../models/repro';

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
