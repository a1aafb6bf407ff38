import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  EXPLORER_SOURCES,
  ExplorerSource,
  explorerGroups,
  IExplorerData,
  IExplorerItem,
  SORT_ORDERS,
  SortOrder
} from '../models/explorer';
import { ArchFilter } from '../models/packs';
import { ILoadable } from '../types';
import { ErrorMessage } from './ErrorMessage';
import { ArchSelect, PackSearch } from './PackFilters';
import { ExplorerCard, IExplorerActions } from './ExplorerCard';
import { SourceSwitch } from './SourceSwitch';

/** The label of a source, in the switch and in messages. */
export function sourceLabel(
  source: ExplorerSource,
  trans: TranslationBundle
): string {
  switch (source) {
    case 'installed':
      return trans.__('Installed');
    case 'published':
      return trans.__('Published');
    case 'service':
      return trans.__('Data Science');
  }
}

function sortLabel(order: SortOrder, trans: TranslationBundle): string {
  switch (order) {
    case 'name':
      return trans.__('Name');
    case 'date':
      return trans.__('Newest first');
    case 'size':
      return trans.__('Largest first');
  }
}

/** What the explorer shows: the three lists as the models hold them. */
export interface IExplorerState {
  installed: ILoadable<IExplorerData['installed']>;
  published: ILoadable<IExplorerData['published']>;
  service: ILoadable<IExplorerData['service']>;
}

/**
 * The Conda Packs explorer: a source switch (Installed, Published, Data Science), a search
 * over names, slugs, descriptions and libraries, CPU/GPU and sort menus, and a grid of
 * cards, one per pack name.
 */
export function ExplorerView(props: {
  state: IExplorerState;
  source: ExplorerSource;
  onSource: (source: ExplorerSource) => void;
  initialSort: SortOrder;
  busySlugs: Set<string>;
  packFolder: string;
  warnGpu: (item: IExplorerItem) => boolean;
  actions: IExplorerActions;
  onRefresh: (source: ExplorerSource) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, source, trans } = props;
  const [query, setQuery] = React.useState('');
  const [arch, setArch] = React.useState<ArchFilter>('all');
  const [sort, setSort] = React.useState<SortOrder>(props.initialSort);
  const current = state[source];
  const data: IExplorerData = {
    installed: state.installed.data,
    published: state.published.data,
    service: state.service.data
  };
  const groups = explorerGroups(source, data, { query, arch, sort });
  const location =
    source === 'installed'
      ? data.installed?.conda_pack_folder
      : source === 'published'
        ? data.published?.store_uri
        : data.service?.index_uri;
  return (
    <div className="jp-CondaPacks jp-CondaPacks-explorer">
      <div className="jp-CondaPacks-explorerToolbar">
        <SourceSwitch
          sources={EXPLORER_SOURCES}
          selected={source}
          onSelect={props.onSource}
          label={value => sourceLabel(value, trans)}
          ariaLabel={trans.__('Packs to show')}
        />
        <PackSearch
          value={query}
          onChange={setQuery}
          label={trans.__('Search packs')}
          trans={trans}
        />
        <ArchSelect
          value={arch}
          onChange={setArch}
          allLabel={trans.__('CPU and GPU')}
          trans={trans}
        />
        <HTMLSelect
          aria-label={trans.__('Sort by')}
          title={trans.__('Sort by')}
          value={sort}
          onChange={event => setSort(event.target.value as SortOrder)}
          options={SORT_ORDERS.map(value => ({
            value,
            label: sortLabel(value, trans)
          }))}
        />
        <Button
          minimal
          small
          aria-label={trans.__('Refresh %1', sourceLabel(source, trans))}
          title={trans.__('Read the list again')}
          disabled={current.loading}
          onClick={() => props.onRefresh(source)}
        >
          <refreshIcon.react tag="span" elementPosition="center" />
        </Button>
      </div>
      <div className="jp-CondaPacks-toolbarText jp-CondaPacks-path">
        {location}
      </div>
      <div
        className="jp-CondaPacks-explorerBody"
        aria-busy={current.loading}
        aria-live="polite"
      >
        {current.error ? (
          <ErrorMessage error={current.error} trans={trans} />
        ) : !current.data ? (
          <div className="jp-CondaPacks-message">{trans.__('Loading…')}</div>
        ) : groups.length === 0 ? (
          <div className="jp-CondaPacks-message jp-CondaPacks-empty">
            {query || arch !== 'all'
              ? trans.__('No pack matches the search.')
              : trans.__('No packs here yet.')}
          </div>
        ) : (
          <ul
            className="jp-CondaPacks-cards jp-CondaPacks-grid"
            aria-label={trans.__('%1 packs', sourceLabel(source, trans))}
          >
            {groups.map(group => (
              <ExplorerCard
                key={`${source}:${group.name}`}
                group={group}
                busySlugs={props.busySlugs}
                packFolder={props.packFolder}
                warnGpu={props.warnGpu}
                actions={props.actions}
                trans={trans}
              />
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
