import { LabIcon } from '@jupyterlab/ui-components';

import condaPacksSvg from '../style/icons/conda-packs.svg';

/** The Conda Packs icon, shown on the side bar tab. */
export const condaPacksIcon = new LabIcon({
  name: 'conda-pack-ext:conda-packs',
  svgstr: condaPacksSvg
});
