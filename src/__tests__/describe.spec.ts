import { nullTranslator } from '@jupyterlab/translation';

import {
  describeAuth,
  describeBuilder,
  describeEngine,
  describeStore
} from '../describe';

const trans = nullTranslator.load('conda_pack_ext');

describe('describeBuilder', () => {
  it('names the embedded engine with its version', () => {
    expect(
      describeBuilder(
        { name: 'rattler', kind: 'embedded', version: '0.28.1', path: null },
        trans
      )
    ).toBe('rattler (embedded, 0.28.1)');
  });

  it('shows where an external tool was found', () => {
    expect(
      describeBuilder(
        { name: 'conda', kind: 'external', path: '/opt/conda/bin/conda' },
        trans
      )
    ).toBe('conda (external, /opt/conda/bin/conda)');
  });
});

describe('describeEngine', () => {
  const builders = [{ name: 'rattler', kind: 'embedded' }];

  it('says which builder the automatic choice uses', () => {
    expect(describeEngine('auto', builders, trans)).toBe('automatic (rattler)');
  });

  it('shows a chosen engine as is', () => {
    expect(describeEngine('micromamba', builders, trans)).toBe('micromamba');
  });
});

describe('describeStore and describeAuth', () => {
  it('tells Object Storage from a local folder store', () => {
    expect(describeStore('oci://bucket@ns/conda', trans)).toBe(
      'OCI Object Storage'
    );
    expect(describeStore('file:///srv/packs', trans)).toBe('Local folder');
  });

  it('spells out the OCI authentication modes', () => {
    expect(describeAuth('resource_principal', trans)).toBe(
      'Resource principal'
    );
    expect(describeAuth('something_new', trans)).toBe('something_new');
  });
});
