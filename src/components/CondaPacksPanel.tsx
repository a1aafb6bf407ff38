import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

/** One section of the panel (Status now; Installed, Published, Create, ... later). */
export interface IPanelSection {
  /** Stable identifier, used in element ids. */
  id: string;
  /** The translated tab label. */
  label: string;
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
}

/**
 * The side panel's frame: a title, a tab list with one tab per section (WAI-ARIA tabs,
 * arrow keys move between them) and the selected section's content.
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

  const onKeyDown = (event: React.KeyboardEvent) => {
    const step =
      event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step || !current) {
      return;
    }
    const index = sections.indexOf(current);
    const next = sections[(index + step + sections.length) % sections.length];
    setSelected(next.id);
    document.getElementById(tabId(next.id))?.focus();
    event.preventDefault();
  };

  return (
    <div className="jp-CondaPacks">
      <header className="jp-CondaPacks-header">
        <h2 className="jp-CondaPacks-title">{trans.__('Conda Packs')}</h2>
      </header>
      <div
        className="jp-CondaPacks-sections"
        role="tablist"
        aria-label={trans.__('Conda Packs sections')}
        onKeyDown={onKeyDown}
      >
        {sections.map(section => (
          <button
            key={section.id}
            id={tabId(section.id)}
            className="jp-CondaPacks-sectionTab"
            role="tab"
            type="button"
            aria-selected={section === current}
            aria-controls={panelId(section.id)}
            tabIndex={section === current ? 0 : -1}
            onClick={() => setSelected(section.id)}
          >
            {section.label}
          </button>
        ))}
      </div>
      {current && (
        <div
          className="jp-CondaPacks-body"
          id={panelId(current.id)}
          role="tabpanel"
          aria-labelledby={tabId(current.id)}
        >
          {current.render()}
        </div>
      )}
    </div>
  );
}

function tabId(sectionId: string): string {
  return `jp-CondaPacks-tab-${sectionId}`;
}

function panelId(sectionId: string): string {
  return `jp-CondaPacks-section-${sectionId}`;
}
