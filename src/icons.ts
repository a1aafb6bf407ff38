import { LabIcon } from '@jupyterlab/ui-components';

import activitySvg from '../style/icons/activity.svg';
import condaPacksSvg from '../style/icons/conda-packs.svg';

/** The Conda Packs icon, shown on the side bar tab. */
export const condaPacksIcon = new LabIcon({
  name: 'conda-pack-ext:conda-packs',
  svgstr: condaPacksSvg
});

/**
 * The Activity section's icon (a clock). Our own: JupyterLab's `historyIcon` is newer than
 * JupyterLab 4.0, where the shared ui-components package would answer `undefined` for it.
 */
export const activityIcon = new LabIcon({
  name: 'conda-pack-ext:activity',
  svgstr: activitySvg
});
