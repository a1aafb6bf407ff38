import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { condaPacksIcon } from './icons';
import { StatusModel } from './model';
import { CommandIDs, PLUGIN_ID, TRANSLATION_DOMAIN } from './tokens';
import { CondaPacksSidebar } from './widgets/CondaPacksSidebar';

/** Puts the Conda Packs panel in the left side bar and a command to open it. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Build, pack, publish and install conda packs.',
  autoStart: true,
  optional: [ITranslator, ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    translator = translator ?? nullTranslator;
    const trans = translator.load(TRANSLATION_DOMAIN);

    const sidebar = new CondaPacksSidebar(new StatusModel(), translator);
    app.shell.add(sidebar, 'left', { rank: 850 });
    restorer?.add(sidebar, sidebar.id);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Open Conda Packs'),
      caption: trans.__('Show the Conda Packs panel'),
      icon: condaPacksIcon,
      execute: () => app.shell.activateById(sidebar.id)
    });
    palette?.addItem({
      command: CommandIDs.openPanel,
      category: trans.__('Conda Packs')
    });
  }
};

export default plugin;
