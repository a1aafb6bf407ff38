import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  ICommandPalette,
  MainAreaWidget,
  Notification,
  showDialog,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { describeError } from './describe';
import { condaPacksIcon } from './icons';
import { createApi } from './request';
import { ServicePacksModel, StatusModel } from './models/status';
import {
  DEFAULT_FRONTEND_SETTINGS,
  readFrontendSettings
} from './models/frontendSettings';
import { ConfigModel } from './models/config';
import { IJobView, JobsModel } from './models/jobs';
import { PacksModel } from './models/packs';
import { jobEndNotice } from './notifications';
import {
  CommandIDs,
  JOB_EVENT_SCHEMA,
  PLUGIN_ID,
  TRANSLATION_DOMAIN
} from './ids';
import { IJob } from './types';
import { CondaPacksSidebar, IPanelHost } from './widgets/CondaPacksSidebar';
import { createExplorer, EXPLORER_ID } from './widgets/ExplorerWidget';
import { PackActions } from './widgets/packActions';

/** Jobs whose end changes the kernels Jupyter offers. */
const KERNEL_CHANGING_JOBS = ['install', 'uninstall', 'create', 'publish'];

/**
 * The Conda Packs panel in the left side bar, the explorer in the main area (from the
 * Launcher and the palette), their commands, live job updates from the event bus, and a
 * notification at each job's end.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Build, pack, publish and install conda packs.',
  autoStart: true,
  optional: [
    ITranslator,
    ILayoutRestorer,
    ICommandPalette,
    IDefaultFileBrowser,
    ILauncher,
    ISettingRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    fileBrowser: IDefaultFileBrowser | null,
    launcher: ILauncher | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    translator = translator ?? nullTranslator;
    const trans = translator.load(TRANSLATION_DOMAIN);
    const { commands, serviceManager } = app;

    const openNotebook = (kernelName: string) =>
      void commands.execute('notebook:create-new', {
        kernelName,
        cwd: fileBrowser?.model.path ?? ''
      });

    const host: IPanelHost = {
      copy: text => {
        Clipboard.copyToSystem(text);
        Notification.info(trans.__('Copied: %1', text), { autoClose: 3000 });
      },
      openNotebook,
      selectedFile: () => {
        const item = fileBrowser?.selectedItems().next();
        return item && !item.done ? item.value.path : null;
      },
      readFile: async path => {
        const model = await serviceManager.contents.get(path, {
          content: true,
          type: 'file',
          format: 'text'
        });
        return String(model.content ?? '');
      },
      confirm: async (title, body, accept) => {
        const result = await showDialog({
          title,
          body,
          buttons: [
            Dialog.cancelButton({ label: trans.__('Cancel') }),
            Dialog.warnButton({ label: accept })
          ]
        });
        return result.button.accept;
      },
      reportError: error => {
        const { message, hint } = describeError(error, trans);
        Notification.error(hint ? `${message} ${hint}` : message, {
          autoClose: false
        });
      }
    };

    // every call goes through the app's own connection (base URL, token, XSRF)
    const server = createApi(serviceManager.serverSettings);
    const models = {
      status: new StatusModel(server.status),
      packs: new PacksModel(server),
      jobs: new JobsModel(server),
      config: new ConfigModel(server),
      servicePacks: new ServicePacksModel(server.servicePacks)
    };
    const actions = new PackActions(models, host, server, trans);
    const sidebar = new CondaPacksSidebar(models, host, actions, translator);
    app.shell.add(sidebar, 'left', { rank: 850 });
    restorer?.add(sidebar, sidebar.id);

    // Live updates: job events from the server's event bus.
    serviceManager.events.stream.connect((_, emission) => {
      if (emission.schema_id === JOB_EVENT_SCHEMA) {
        models.jobs.handleEvent(emission as unknown as IJob);
      }
    });

    models.jobs.jobEnded.connect((_, job) => {
      if (KERNEL_CHANGING_JOBS.includes(job.kind)) {
        void serviceManager.kernelspecs.refreshSpecs();
      }
      void models.packs.refresh();
      notifyEnd(job);
    });

    const notifyEnd = (job: IJobView) => {
      const notice = jobEndNotice(job, trans);
      const actions: Notification.IAction[] = [];
      if (notice.kernel) {
        const kernel = notice.kernel;
        actions.push({
          label: trans.__('Open notebook'),
          caption: trans.__('Open a notebook with %1', kernel),
          callback: () => openNotebook(kernel)
        });
      }
      if (notice.showActivity) {
        actions.push({
          label: trans.__('Show activity'),
          callback: () => {
            app.shell.activateById(sidebar.id);
            sidebar.showSection('activity');
          }
        });
      }
      Notification.emit(notice.message, notice.type, {
        autoClose: notice.autoClose,
        actions
      });
    };

    const category = trans.__('Conda Packs');
    const addCommand = (
      id: string,
      label: string,
      execute: () => void,
      inPalette = true
    ) => {
      commands.addCommand(id, { label, icon: condaPacksIcon, execute });
      if (inPalette) {
        palette?.addItem({ command: id, category });
      }
    };
    const open = () => app.shell.activateById(sidebar.id);

    // The explorer: one main-area tab, restored with the layout.
    const explorers = new WidgetTracker<MainAreaWidget>({
      namespace: 'conda-pack-ext-explorer'
    });
    const openExplorer = () => {
      let explorer = explorers.currentWidget;
      if (!explorer || explorer.isDisposed) {
        explorer = createExplorer(models, host, actions, translator!);
        void explorers.add(explorer);
        app.shell.add(explorer, 'main');
      }
      app.shell.activateById(explorer.id);
    };
    addCommand(
      CommandIDs.openExplorer,
      trans.__('Conda Packs Explorer'),
      openExplorer
    );
    launcher?.add({
      command: CommandIDs.openExplorer,
      category: trans.__('Other'),
      rank: 50
    });
    void restorer?.restore(explorers, {
      command: CommandIDs.openExplorer,
      name: () => EXPLORER_ID
    });

    // Auto-refresh of the lists while the panel or the explorer is shown.
    let refreshTimer = 0;
    const scheduleRefresh = (seconds: number) => {
      window.clearInterval(refreshTimer);
      if (seconds > 0) {
        refreshTimer = window.setInterval(() => {
          const explorer = explorers.currentWidget;
          if (sidebar.isVisible || explorer?.isVisible) {
            void models.packs.refresh();
          }
        }, seconds * 1000);
      }
    };
    scheduleRefresh(actions.settings.refreshInterval);
    // The settings apply as soon as they are read: an explorer restored with the layout
    // waits for them. Only opening the explorer at start waits for the restored layout.
    const readSettings = async (): Promise<void> => {
      if (!settingRegistry) {
        actions.settings = DEFAULT_FRONTEND_SETTINGS;
        return;
      }
      const settings = await settingRegistry.load(PLUGIN_ID);
      const apply = () => {
        actions.settings = readFrontendSettings(settings.composite);
        scheduleRefresh(actions.settings.refreshInterval);
      };
      apply();
      settings.changed.connect(apply);
    };
    void readSettings()
      .catch(reason => {
        console.warn('conda-pack-ext: settings not loaded', reason);
        actions.settings = DEFAULT_FRONTEND_SETTINGS;
      })
      .then(() => app.restored)
      .then(() => {
        if (actions.settings.openExplorerAtStart) {
          openExplorer();
        }
      });

    addCommand(CommandIDs.openPanel, trans.__('Open Conda Packs'), open);
    addCommand(CommandIDs.create, trans.__('Create Conda Pack'), () => {
      open();
      sidebar.showSection('create');
    });
    addCommand(CommandIDs.refresh, trans.__('Refresh Conda Packs'), () => {
      void sidebar.refresh();
    });
    addCommand(CommandIDs.settings, trans.__('Conda Packs Settings…'), () =>
      sidebar.showSettings()
    );
    addCommand(
      CommandIDs.activity,
      trans.__('Show Conda Packs Activity'),
      () => {
        open();
        sidebar.showSection('activity');
      }
    );
    addCommand(
      CommandIDs.createFromFile,
      trans.__('Create conda pack…'),
      () => {
        const path = host.selectedFile();
        if (path) {
          open();
          sidebar.createFrom(path);
        }
      },
      false
    );
    app.contextMenu.addItem({
      command: CommandIDs.createFromFile,
      selector: '.jp-DirListing-item[data-file-type="yaml"]',
      rank: 50
    });
  }
};

export default plugin;
