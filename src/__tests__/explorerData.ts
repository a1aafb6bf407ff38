/** The explorer's test data. */
import { IExplorerData } from '../models/explorer';

/** A team store with two versions of one pack, one GPU pack, and an env installed here. */
export const DATA: IExplorerData = {
  installed: {
    conda_pack_folder: '/home/me/conda',
    store_uri: 'oci://packs@ns/conda',
    store_error: null,
    envs: [
      {
        slug: 'team_v1_0',
        name: 'Team',
        version: '1.0',
        python: '3.11',
        arch_type: 'CPU',
        size_mb: 40,
        prefix: '/home/me/conda/team_v1_0',
        kernels: ['conda-pack-team_v1_0'],
        pack_uri: 'oci://packs@ns/conda/cpu/Team/1.0/team_v1_0',
        managed: true,
        states: ['installed', 'published']
      }
    ]
  },
  published: {
    store_uri: 'oci://packs@ns/conda',
    packs: [
      {
        name: 'Team',
        slug: 'team_v1_0',
        version: '1.0',
        arch_type: 'CPU',
        size_mb: 40,
        create_date: 'Mon, Jan 08, 2024, 10:00:00  UTC',
        libraries: ['pandas (v2)'],
        pack_uri: 'oci://packs@ns/conda/cpu/Team/1.0/team_v1_0'
      },
      {
        name: 'Team',
        slug: 'team_v1_10',
        version: '1.10',
        arch_type: 'CPU',
        size_mb: 42,
        create_date: 'Tue, Mar 05, 2024, 09:00:00  UTC',
        pack_uri: 'oci://packs@ns/conda/cpu/Team/1.10/team_v1_10'
      },
      {
        name: 'Torch',
        slug: 'torch_v2',
        version: '2.0',
        arch_type: 'GPU',
        size_mb: 900,
        description: 'Deep learning on GPUs',
        create_date: 'Fri, Feb 02, 2024, 10:00:00  UTC',
        pack_uri: 'oci://packs@ns/conda/gpu/Torch/2.0/torch_v2'
      }
    ]
  },
  service: {
    index_uri: 'oci://service-conda-packs@id19sfcrra6z/service_pack/index.json',
    packs: [
      {
        name: 'General Machine Learning',
        slug: 'generalml_p311_cpu_x86_64_v1',
        version: '1.0',
        arch_type: 'CPU',
        libraries: ['scikit-learn (v1.3)', 'xgboost (v2.0)'],
        pack_uri:
          'oci://service-conda-packs@id19sfcrra6z/service_pack/cpu/x/1.0/y'
      }
    ]
  }
};
