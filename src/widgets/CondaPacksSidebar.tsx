import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { CondaPacksPanel, IPanelSection } from '../components/CondaPacksPanel';
import { StatusSection } from '../components/StatusSection';
import { condaPacksIcon } from '../icons';
import { StatusModel } from '../model';
import { PANEL_ID, TRANSLATION_DOMAIN } from '../tokens';

/** The Conda Packs side bar widget: the Lumino shell around the React panel. */
export class CondaPacksSidebar extends ReactWidget {
  constructor(
    readonly statusModel: StatusModel,
    translator: ITranslator
  ) {
    super();
    this._trans = translator.load(TRANSLATION_DOMAIN);
    this.id = PANEL_ID;
    this.addClass('jp-CondaPacks-sidebar');
    this.title.icon = condaPacksIcon;
    this.title.caption = this._trans.__('Conda Packs');
    this.title.label = '';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', this._trans.__('Conda Packs'));
  }

  /** Load the status the first time the panel is shown, not at JupyterLab's start. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (!this._loaded) {
      this._loaded = true;
      void this.statusModel.refresh();
    }
  }

  protected render(): JSX.Element {
    return <CondaPacksPanel sections={this.sections()} trans={this._trans} />;
  }

  /** The panel's sections, in tab order. */
  private sections(): IPanelSection[] {
    const trans = this._trans;
    const model = this.statusModel;
    return [
      {
        id: 'status',
        label: trans.__('Status'),
        render: () => (
          <UseSignal signal={model.changed} initialArgs={model.state}>
            {(_, state) => (
              <StatusSection
                state={state ?? model.state}
                trans={trans}
                onRefresh={() => void model.refresh()}
              />
            )}
          </UseSignal>
        )
      }
    ];
  }

  private readonly _trans: TranslationBundle;
  private _loaded = false;
}
