import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  copyIcon,
  HTMLSelect,
  InputGroup,
  refreshIcon,
  searchIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { ArchFilter, filterPacks, installJob } from '../models/packs';
import { ILoadable, IManifest, IPublishedAnswer } from '../types';
import { useCliCommands } from './CliCommands';
import { ErrorMessage } from './ErrorMessage';
import { Fact, PackCard } from './PackCard';

/** What the Published section's buttons do; the widget supplies them. */
export interface IPublishedActions {
  install: (pack: IManifest, packFolder: string) => void;
  copy: (text: string) => void;
  refresh: (rescan: boolean) => void;
}

/** The Published section: the store's packs, searchable, each installable. */
export function PublishedSection(props: {
  state: ILoadable<IPublishedAnswer>;
  /** The configured pack folder: where installs go unless the user names another. */
  packFolder: string;
  busySlugs: Set<string>;
  actions: IPublishedActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, trans, actions } = props;
  const [query, setQuery] = React.useState('');
  const [arch, setArch] = React.useState<ArchFilter>('all');
  const [target, setTarget] = React.useState('');
  const packs = state.data?.packs ?? [];
  const shown = filterPacks(packs, query, arch);
  const storeUri = state.data?.store_uri ?? '';
  return (
    <section aria-label={trans.__('Published')} aria-busy={state.loading}>
      <div className="jp-CondaPacks-toolbar">
        <span className="jp-CondaPacks-toolbarText jp-CondaPacks-path">
          {storeUri}
        </span>
        <Button
          minimal
          small
          aria-label={trans.__('Rescan the store')}
          title={trans.__(
            'Rebuild the index from the store (finds packs published with ADS)'
          )}
          disabled={state.loading}
          onClick={() => actions.refresh(true)}
        >
          {trans.__('Rescan')}
        </Button>
        <Button
          minimal
          small
          aria-label={trans.__('Refresh published packs')}
          title={trans.__('Refresh published packs')}
          disabled={state.loading}
          onClick={() => actions.refresh(false)}
        >
          <refreshIcon.react tag="span" elementPosition="center" />
        </Button>
      </div>
      <div className="jp-CondaPacks-filters">
        <InputGroup
          type="search"
          rightIcon={searchIcon}
          placeholder={trans.__('Search packs…')}
          title={trans.__('Search names, descriptions and libraries')}
          aria-label={trans.__('Search published packs')}
          value={query}
          onChange={event => setQuery(event.target.value)}
        />
        <HTMLSelect
          aria-label={trans.__('Architecture')}
          title={trans.__('Architecture')}
          value={arch}
          onChange={event => setArch(event.target.value as ArchFilter)}
          options={[
            { value: 'all', label: trans.__('All') },
            { value: 'CPU', label: 'CPU' },
            { value: 'GPU', label: 'GPU' }
          ]}
        />
      </div>
      <div className="jp-CondaPacks-field jp-CondaPacks-installTarget">
        <label htmlFor="jp-CondaPacks-installInto">
          {trans.__('Install into')}
        </label>
        <InputGroup
          id="jp-CondaPacks-installInto"
          aria-label={trans.__('Install into folder')}
          placeholder={props.packFolder}
          value={target}
          onChange={event => setTarget(event.target.value)}
        />
      </div>
      {state.error ? (
        <ErrorMessage error={state.error} trans={trans} />
      ) : !state.data ? (
        <div className="jp-CondaPacks-message">{trans.__('Loading…')}</div>
      ) : packs.length === 0 ? (
        <div className="jp-CondaPacks-message jp-CondaPacks-empty">
          {trans.__(
            'No packs published in %1 yet. Create one in the Create tab and publish it, or rescan if packs were published with ADS.',
            storeUri
          )}
        </div>
      ) : shown.length === 0 ? (
        <div className="jp-CondaPacks-message">
          {trans.__('No published pack matches the search.')}
        </div>
      ) : (
        <ul
          className="jp-CondaPacks-cards"
          aria-label={trans.__('Published packs')}
        >
          {shown.map(pack => (
            <PublishedCard
              key={pack.pack_uri ?? pack.slug}
              pack={pack}
              busy={props.busySlugs.has(pack.slug)}
              installInto={target.trim() || props.packFolder}
              onInstall={folder => actions.install(pack, folder)}
              onCopy={actions.copy}
              trans={trans}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function PublishedCard(props: {
  pack: IManifest;
  busy: boolean;
  /** The folder the Install button installs into. */
  installInto: string;
  onInstall: (packFolder: string) => void;
  onCopy: (text: string) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { pack, trans } = props;
  const libraries = pack.libraries ?? [];
  const cli = useCliCommands({
    slug: pack.slug,
    requests: [installJob(pack, props.installInto)],
    copy: props.onCopy,
    trans
  });
  return (
    <PackCard
      subject={pack}
      idPrefix="jp-CondaPacks-pack"
      trans={trans}
      cli={cli}
      intro={
        pack.description && (
          <p className="jp-CondaPacks-description">{pack.description}</p>
        )
      }
      facts={
        <>
          <Fact
            label={trans.__('Published')}
            value={pack.create_date}
            volatile
          />
          <Fact label={trans.__('Source')} value={pack.pack_uri} code volatile>
            <Button
              small
              minimal
              aria-label={trans.__('Copy the source URI of %1', pack.slug)}
              title={trans.__('Copy the source URI')}
              onClick={() => props.onCopy(pack.pack_uri ?? '')}
            >
              <copyIcon.react tag="span" elementPosition="center" />
            </Button>
          </Fact>
          <Fact
            volatile
            label={trans.__('Libraries')}
            value={libraries.length ? libraries.join(', ') : ''}
          />
        </>
      }
      actions={
        <Button
          small
          aria-label={trans.__('Install %1', pack.slug)}
          title={trans.__('Download, unpack and register its kernel')}
          disabled={props.busy}
          onClick={() => props.onInstall(props.installInto)}
        >
          {trans.__('Install')}
        </Button>
      }
    />
  );
}
