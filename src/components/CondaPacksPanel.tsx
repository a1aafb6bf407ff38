import { TranslationBundle } from '@jupyterlab/translation';
import {
  LabIcon,
  settingsIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { SectionTabBar, sectionPanelId, sectionTabId } from './SectionTabBar';

/** One section of the panel: Installed, Published, Create, Activity, Status. */
export interface IPanelSection {
  /** Stable identifier, used in element ids. */
  id: string;
  /** The translated tab label (also the tab's tooltip and accessible name). */
  label: string;
  /** The tab's icon: narrow panels show only the icons of the other tabs. */
  icon?: LabIcon;
  /** The section's content; called only while the section is selected. */
  render: () => React.ReactNode;
}

export interface ICondaPacksPanelProps {
  sections: IPanelSection[];
  trans: TranslationBundle;
  /** The section shown first; defaults to the first one. */
  initialSection?: string;
  /** The selected section, when the owner controls it (e.g. a command opens Create). */
  selected?: string;
  onSelect?: (id: string) => void;
  /** Open the settings; the header shows a gear button when given. */
  onSettings?: () => void;
}

/**
 * The side panel's frame: a title with the settings button, JupyterLab's tab bar with one
 * tab per section (WAI-ARIA tabs: arrow keys, Home and End move between them) and the
 * selected section's content. In a narrow panel the tabs other than the selected one show
 * their icon only (their label is the tooltip), so the tab list fits on one row.
 */
export function CondaPacksPanel(props: ICondaPacksPanelProps): JSX.Element {
  const { sections, trans } = props;
  const [ownSelection, setOwnSelection] = React.useState(
    props.initialSection ?? sections[0]?.id
  );
  const selected = props.selected ?? ownSelection;
  const setSelected = (id: string) => {
    setOwnSelection(id);
    props.onSelect?.(id);
  };
  const current =
    sections.find(section => section.id === selected) ?? sections[0];

  return (
    <div className="jp-CondaPacks">
      <header className="jp-CondaPacks-header">
        <h2 className="jp-CondaPacks-title">{trans.__('Conda Packs')}</h2>
        {props.onSettings && (
          <ToolbarButtonComponent
            className="jp-CondaPacks-settingsButton"
            icon={settingsIcon}
            tooltip={trans.__('Conda Packs settings')}
            onClick={props.onSettings}
          />
        )}
      </header>
      <SectionTabBar
        tabs={sections}
        selected={current?.id ?? ''}
        onSelect={setSelected}
        label={trans.__('Conda Packs sections')}
      />
      {current && (
        <div
          className="jp-CondaPacks-body"
          id={sectionPanelId(current.id)}
          role="tabpanel"
          aria-labelledby={sectionTabId(current.id)}
        >
          {current.render()}
        </div>
      )}
    </div>
  );
}
