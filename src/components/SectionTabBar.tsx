import { LabIcon, TabBarSvg } from '@jupyterlab/ui-components';
import { MessageLoop } from '@lumino/messaging';
import { TabBar, Title, Widget } from '@lumino/widgets';
import * as React from 'react';

/** One tab: the section it selects, its translated label (also tooltip) and icon. */
export interface ISectionTab {
  id: string;
  label: string;
  icon?: LabIcon;
}

/** The id of a section's tab (its tab panel is labelled by it). */
export function sectionTabId(sectionId: string): string {
  return `jp-CondaPacks-tab-${sectionId}`;
}

/** The id of a section's tab panel (the selected tab controls it). */
export function sectionPanelId(sectionId: string): string {
  return `jp-CondaPacks-section-${sectionId}`;
}

/**
 * JupyterLab's tab renderer with ids the tab panel can refer to, an accessible name that
 * stays when a narrow panel hides the label, and a roving tabindex also with the Lumino
 * of JupyterLab 4.0.0-4.0.x, whose renderer gives tabs no tabindex.
 */
class SectionTabRenderer extends TabBarSvg.Renderer {
  createTabKey(data: TabBar.IRenderData<unknown>): string {
    return sectionTabId(data.title.dataset.section);
  }

  createTabARIA(
    data: TabBar.IRenderData<unknown>
  ): ReturnType<TabBar.Renderer['createTabARIA']> {
    const tabIndex = data.tabIndex ?? (data.current ? 0 : -1);
    const aria = {
      ...super.createTabARIA(data),
      'aria-label': data.title.label,
      tabindex: String(tabIndex)
    };
    return data.current
      ? {
          ...aria,
          'aria-controls': sectionPanelId(data.title.dataset.section)
        }
      : aria;
  }
}

const RENDERER = new SectionTabRenderer();

/** Keys that move the focus along a horizontal tab list, and where to. */
export function nextTabIndex(
  key: string,
  index: number,
  count: number
): number | null {
  switch (key) {
    case 'ArrowRight':
      return (index + 1) % count;
    case 'ArrowLeft':
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/**
 * A row of section tabs: JupyterLab's own tab bar (a Lumino `TabBar` with JupyterLab's
 * renderer and the look of its tab panels) inside the React panel. It is a WAI-ARIA tab
 * list with automatic activation: the arrow keys, Home and End move the focus (Lumino does
 * that from 2.3 on; for older ones this component does) and the focused tab is selected.
 */
export function SectionTabBar(props: {
  tabs: ISectionTab[];
  selected: string;
  onSelect: (id: string) => void;
  /** The tab list's accessible name. */
  label: string;
}): JSX.Element {
  const hostRef = React.useRef<HTMLDivElement>(null);
  const barRef = React.useRef<TabBar<null> | null>(null);
  // The signal handler reads the newest callback; the tab bar outlives renders.
  const onSelectRef = React.useRef(props.onSelect);
  onSelectRef.current = props.onSelect;
  const syncing = React.useRef(false);

  React.useLayoutEffect(() => {
    const host = hostRef.current!;
    const bar = new TabBarSvg<null>({
      renderer: RENDERER,
      name: props.label,
      orientation: 'horizontal',
      tabsMovable: false,
      allowDeselect: false,
      insertBehavior: 'none',
      removeBehavior: 'none'
    });
    bar.addClass('lm-TabPanel-tabBar');
    bar.addClass('jp-CondaPacks-sections');
    bar.currentChanged.connect((_, { currentTitle }) => {
      if (!syncing.current && currentTitle) {
        onSelectRef.current(currentTitle.dataset.section);
      }
    });
    const tabs = () => Array.from(bar.contentNode.children) as HTMLElement[];
    const onFocusIn = (event: FocusEvent) => {
      const index = tabs().findIndex(tab => tab.contains(event.target as Node));
      if (index >= 0) {
        bar.currentIndex = index;
      }
    };
    const onKeyDown = (event: KeyboardEvent) => {
      // Lumino 2.3 and later handle these keys (and prevent their default).
      if (event.defaultPrevented) {
        return;
      }
      const all = tabs();
      const focused = all.findIndex(tab => tab === document.activeElement);
      const next = nextTabIndex(
        event.key,
        focused >= 0 ? focused : bar.currentIndex,
        all.length
      );
      if (next !== null && all.length > 0) {
        event.preventDefault();
        all.forEach((tab, i) => (tab.tabIndex = i === next ? 0 : -1));
        all[next].focus();
      }
    };
    // Widget.attach would refuse a host outside the document (a panel rendered while its
    // side bar is detached); the tab bar only needs the attach messages for its listeners.
    MessageLoop.sendMessage(bar, Widget.Msg.BeforeAttach);
    host.appendChild(bar.node);
    MessageLoop.sendMessage(bar, Widget.Msg.AfterAttach);
    bar.node.addEventListener('focusin', onFocusIn);
    bar.node.addEventListener('keydown', onKeyDown);
    barRef.current = bar;
    return () => {
      bar.node.removeEventListener('focusin', onFocusIn);
      bar.node.removeEventListener('keydown', onKeyDown);
      MessageLoop.sendMessage(bar, Widget.Msg.BeforeDetach);
      bar.node.remove();
      MessageLoop.sendMessage(bar, Widget.Msg.AfterDetach);
      bar.dispose();
      barRef.current = null;
    };
  }, []);

  // Mirror the tabs and the selection into the tab bar after every render.
  React.useLayoutEffect(() => {
    const bar = barRef.current;
    if (!bar) {
      return;
    }
    syncing.current = true;
    try {
      const ids = bar.titles.map(title => title.dataset.section);
      if (ids.join('\n') !== props.tabs.map(tab => tab.id).join('\n')) {
        bar.clearTabs();
        for (const tab of props.tabs) {
          bar.addTab(
            new Title<null>({ owner: null, dataset: { section: tab.id } })
          );
        }
      }
      props.tabs.forEach((tab, i) => {
        const title = bar.titles[i];
        title.label = tab.label;
        title.caption = tab.label;
        title.icon = tab.icon;
      });
      bar.currentIndex = props.tabs.findIndex(tab => tab.id === props.selected);
    } finally {
      syncing.current = false;
    }
    // Render now rather than at the next animation frame, so that the tab panel's
    // aria-labelledby never points at a tab that is not there yet.
    MessageLoop.sendMessage(bar, Widget.Msg.UpdateRequest);
  });

  return <div ref={hostRef} className="jp-CondaPacks-sectionsHost" />;
}
