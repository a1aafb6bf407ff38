import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  copyIcon,
  InputGroup,
  refreshIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { ArchFilter, filterPacks, installJob } from '../models/packs';
import { IUsageSubject } from '../models/usage';
import {
  ILoadable,
  IManifest,
  IPublishedAnswer,
  IServicePacksAnswer
} from '../types';
import { useCliCommands } from './CliCommands';
import { ErrorMessage } from './ErrorMessage';
import { ArchSelect, PackSearch } from './PackFilters';
import { Fact, PackCard } from './PackCard';
import { ReproButtons } from './ReproButtons';
import { SourceSwitch } from './SourceSwitch';
import { UseInOciButton } from './UsagePanel';

/** The Published section's lists: Oracle's service packs, or the store's. */
export type PublishedSource = 'service' | 'published';

/** What the Published section's buttons do; the widget supplies them. */
export interface IPublishedActions {
  install: (pack: IManifest, packFolder: string, service: boolean) => void;
  useInOci: (subject: IUsageSubject) => void;
  copy: (text: string) => void;
  refresh: (rescan: boolean) => void;
  /** "Rebuild…" and "Compare with…" of the store's packs (offered when given). */
  rebuild?: (pack: IManifest) => void;
  compare?: (pack: IManifest) => void;
}

/**
 * The Published section: the store's packs or Oracle's service packs (a switch, as in the
 * explorer), searchable, each installable and usable in OCI.
 */
export function PublishedSection(props: {
  state: ILoadable<IPublishedAnswer>;
  serviceState: ILoadable<IServicePacksAnswer>;
  source: PublishedSource;
  onSource: (source: PublishedSource) => void;
  /** The configured pack folder: where installs go unless the user names another. */
  packFolder: string;
  busySlugs: Set<string>;
  actions: IPublishedActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans, actions } = props;
  const service = props.source === 'service';
  const state: ILoadable<{ packs: IManifest[] }> = service
    ? props.serviceState
    : props.state;
  const [query, setQuery] = React.useState('');
  const [arch, setArch] = React.useState<ArchFilter>('all');
  const [target, setTarget] = React.useState('');
  const packs = state.data?.packs ?? [];
  const shown = filterPacks(packs, query, arch);
  const storeUri = service
    ? (props.serviceState.data?.index_uri ?? '')
    : (props.state.data?.store_uri ?? '');
  return (
    <section aria-label={trans.__('Published')} aria-busy={state.loading}>
      <SourceSwitch<PublishedSource>
        sources={['service', 'published']}
        selected={props.source}
        onSelect={props.onSource}
        label={source =>
          source === 'service'
            ? trans.__('Data Science')
            : trans.__('Published')
        }
        ariaLabel={trans.__('Packs to show')}
      />
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
          disabled={state.loading || service}
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
        <PackSearch
          value={query}
          onChange={setQuery}
          label={trans.__('Search published packs')}
          trans={trans}
        />
        <ArchSelect value={arch} onChange={setArch} trans={trans} />
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
          {service
            ? trans.__('The service pack index %1 lists no packs.', storeUri)
            : trans.__(
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
              service={service}
              busy={props.busySlugs.has(pack.slug)}
              installInto={target.trim() || props.packFolder}
              onInstall={folder => actions.install(pack, folder, service)}
              onUseInOci={actions.useInOci}
              onCopy={actions.copy}
              onRebuild={service ? undefined : actions.rebuild}
              onCompare={service ? undefined : actions.compare}
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
  /** One of Oracle's service packs (installed by slug). */
  service: boolean;
  busy: boolean;
  /** The folder the Install button installs into. */
  installInto: string;
  onInstall: (packFolder: string) => void;
  onUseInOci: (subject: IUsageSubject) => void;
  onCopy: (text: string) => void;
  onRebuild?: (pack: IManifest) => void;
  onCompare?: (pack: IManifest) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { pack, trans, onRebuild, onCompare } = props;
  const libraries = pack.libraries ?? [];
  const subject: IUsageSubject = {
    slug: pack.slug,
    pack_uri: pack.pack_uri ?? '',
    service: props.service
  };
  const cli = useCliCommands({
    slug: pack.slug,
    requests: [installJob(pack, props.installInto, props.service)],
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
        <>
          <Button
            small
            aria-label={trans.__('Install %1', pack.slug)}
            title={trans.__('Download, unpack and register its kernel')}
            disabled={props.busy}
            onClick={() => props.onInstall(props.installInto)}
          >
            {trans.__('Install')}
          </Button>
          <UseInOciButton
            subject={subject}
            onClick={props.onUseInOci}
            trans={trans}
          />
          <ReproButtons
            slug={pack.slug}
            rebuild={
              onRebuild && pack.pack_uri ? () => onRebuild(pack) : undefined
            }
            compare={onCompare && (() => onCompare(pack))}
            disabled={props.busy}
            trans={trans}
          />
        </>
      }
    />
  );
}
