import { MainAreaWidget } from '@jupyterlab/apputils';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { IExplorerExtraAction } from '../components/ExplorerCard';
import { ExplorerView } from '../components/ExplorerView';
import { condaPacksIcon } from '../icons';
import { ExplorerSource, needsMissingGpu } from '../models/explorer';
import { TRANSLATION_DOMAIN } from '../ids';
import { usageSubject } from '../models/usage';
import { IPanelHost, IPanelModels } from './CondaPacksSidebar';
import { PackActions } from './packActions';

/** The explorer's id in the main area (one explorer at a time). */
export const EXPLORER_ID = 'conda-pack-ext:explorer';

/**
 * The Conda Packs explorer's content: the React view over the models the side panel
 * reads too, so that an action in one shows at once in the other.
 */
export class ExplorerContent extends ReactWidget {
  constructor(
    private readonly models: IPanelModels,
    private readonly host: IPanelHost,
    private readonly actions: PackActions,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-CondaPacks-explorerContent');
    this._source = actions.settingsRead
      ? actions.settings.explorerSource
      : null;
    actions.settingsChanged.connect(this.onSettingsRead, this);
    const rerender = () => this.update();
    models.packs.changed.connect(rerender);
    models.jobs.changed.connect(rerender);
    models.status.changed.connect(rerender);
    models.servicePacks.changed.connect(rerender);
    this.extraActions.push(...actions.explorerActions());
  }

  /** Actions of later features on the cards (compare, rebuild...). */
  readonly extraActions: IExplorerExtraAction[] = [];

  /** Show a source, reading its list the first time. */
  showSource(source: ExplorerSource): void {
    this._source = source;
    this.loadIfNeeded(source);
    this.update();
  }

  /** Read a source's list again. */
  refresh(source: ExplorerSource): Promise<void> {
    const { packs, servicePacks } = this.models;
    switch (source) {
      case 'installed':
        return packs.refreshInstalled();
      case 'published':
        return packs.refreshPublished();
      case 'service':
        return servicePacks.refresh();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (!this.models.status.state.data) {
      void this.models.status.refresh();
    }
    // the cards' state needs the installed list whatever the source
    this.loadIfNeeded('installed');
    this.loadIfNeeded('published');
    if (this._source) {
      this.loadIfNeeded(this._source);
    }
  }

  /** The source the settings name, once they are read, unless the user chose one. */
  private onSettingsRead(): void {
    if (this._source === null) {
      this._source = this.actions.settings.explorerSource;
      if (this.isVisible) {
        this.loadIfNeeded(this._source);
      }
      this.update();
    }
  }

  protected render(): JSX.Element {
    const { models, actions, host, trans } = this;
    const status = models.status.state.data;
    if (this._source === null) {
      // Restored with the page: the saved source and sort order are not known yet.
      return (
        <div className="jp-CondaPacks-message" aria-busy="true">
          {trans.__('Loading…')}
        </div>
      );
    }
    return (
      <ExplorerView
        state={{
          installed: models.packs.installed,
          published: models.packs.published,
          service: models.servicePacks.state
        }}
        source={this._source}
        onSource={source => this.showSource(source)}
        initialSort={actions.settings.explorerSort}
        busySlugs={actions.busySlugs()}
        packFolder={actions.packFolder() || status?.conda_pack_folder || ''}
        warnGpu={item => needsMissingGpu(item, status)}
        onRefresh={source => void this.refresh(source)}
        trans={trans}
        actions={{
          install: item =>
            void actions.install(
              item.manifest ?? { name: item.name, slug: item.slug },
              '',
              item.source === 'service'
            ),
          uninstall: item => item.env && void actions.uninstall(item.env),
          publish: item => void actions.publish(item),
          openNotebook: host.openNotebook,
          useInOci: item => void actions.useInOci(usageSubject(item)),
          details: item => void actions.details(item),
          copy: host.copy,
          extra: this.extraActions
        }}
      />
    );
  }

  private loadIfNeeded(source: ExplorerSource): void {
    const { packs, servicePacks } = this.models;
    const state =
      source === 'installed'
        ? packs.installed
        : source === 'published'
          ? packs.published
          : servicePacks.state;
    if (!state.data && !state.loading && !state.error) {
      void this.refresh(source);
    }
  }

  /** Null until the settings are read (see onSettingsRead). */
  private _source: ExplorerSource | null;
}

/** A new explorer tab over the shared models. */
export function createExplorer(
  models: IPanelModels,
  host: IPanelHost,
  actions: PackActions,
  translator: ITranslator
): MainAreaWidget<ExplorerContent> {
  const trans = translator.load(TRANSLATION_DOMAIN);
  const content = new ExplorerContent(models, host, actions, trans);
  const widget = new MainAreaWidget({ content });
  widget.id = EXPLORER_ID;
  widget.title.label = trans.__('Conda Packs Explorer');
  widget.title.icon = condaPacksIcon;
  widget.title.closable = true;
  widget.node.setAttribute('aria-label', trans.__('Conda Packs explorer'));
  return widget;
}
