import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  copyIcon,
  HTMLSelect,
  notebookIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  cardJobRequests,
  IExplorerGroup,
  IExplorerItem
} from '../models/explorer';
import { usageSubject } from '../models/usage';
import { useCliCommands } from './CliCommands';
import { Fact, PackCard } from './PackCard';
import { UninstallButton } from './UninstallButton';
import { UseInOciButton } from './UsagePanel';

/** An action a later feature adds to the explorer's cards (compare, rebuild...). */
export interface IExplorerExtraAction {
  id: string;
  /** The button's label for a card. */
  label: (item: IExplorerItem) => string;
  /** Whether the card offers it. */
  applies: (item: IExplorerItem) => boolean;
  run: (item: IExplorerItem) => void;
}

/** What the explorer's buttons do; the widget supplies them. */
export interface IExplorerActions {
  install: (item: IExplorerItem) => void;
  uninstall: (item: IExplorerItem) => void;
  publish: (item: IExplorerItem) => void;
  openNotebook: (kernelName: string) => void;
  useInOci: (item: IExplorerItem) => void;
  details: (item: IExplorerItem) => void;
  copy: (text: string) => void;
  extra: IExplorerExtraAction[];
}

/** How many libraries a card lists before "and N more" (details list them all). */
const LIBRARIES_SHOWN = 6;

/**
 * One card of the explorer: a pack name with a version selector when several versions
 * exist, what its manifest says, its state here (installed, published, newer version),
 * and its actions.
 */
export function ExplorerCard(props: {
  group: IExplorerGroup;
  busySlugs: Set<string>;
  packFolder: string;
  /** A GPU pack on a host without NVIDIA driver gets a warning. */
  warnGpu: (item: IExplorerItem) => boolean;
  actions: IExplorerActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { group, actions, trans } = props;
  const [slug, setSlug] = React.useState(group.items[0].slug);
  const item =
    group.items.find(candidate => candidate.slug === slug) ?? group.items[0];
  const cli = useCliCommands({
    slug: item.slug,
    requests: cardJobRequests(item, props.packFolder),
    copy: actions.copy,
    trans
  });
  const libraries = item.libraries;
  return (
    <PackCard
      subject={{
        ...item,
        version: undefined,
        licenses: item.manifest?.licenses ?? item.env?.licenses
      }}
      idPrefix={`jp-CondaPacks-explorer-${item.source}`}
      trans={trans}
      cli={cli}
      badges={
        <>
          {group.items.length > 1 ? (
            <HTMLSelect
              className="jp-CondaPacks-versionSelect"
              aria-label={trans.__('Version of %1', group.name)}
              value={item.slug}
              onChange={event => setSlug(event.target.value)}
              options={group.items.map(version => ({
                value: version.slug,
                label: version.version || version.slug
              }))}
            />
          ) : (
            item.version && (
              <span className="jp-CondaPacks-badge">{item.version}</span>
            )
          )}
          <StateBadges item={item} trans={trans} />
        </>
      }
      intro={
        <>
          {props.warnGpu(item) && (
            <p className="jp-CondaPacks-warning" role="note">
              {trans.__(
                'GPU pack: this machine has no NVIDIA driver, so it would run on the CPU only.'
              )}
            </p>
          )}
          {item.description && (
            <p className="jp-CondaPacks-description">{item.description}</p>
          )}
        </>
      }
      facts={
        <>
          <Fact
            label={trans.__('Date')}
            value={item.date}
            volatile={item.source !== 'service'}
          />
          <Fact
            label={trans.__('Libraries')}
            value={
              libraries.length > LIBRARIES_SHOWN
                ? trans.__(
                    '%1 and %2 more',
                    libraries.slice(0, LIBRARIES_SHOWN).join(', '),
                    libraries.length - LIBRARIES_SHOWN
                  )
                : libraries.join(', ')
            }
          />
          <Fact
            label={trans.__('Source')}
            value={item.pack_uri}
            code
            volatile={item.source !== 'service'}
          >
            <Button
              small
              minimal
              aria-label={trans.__('Copy the source URI of %1', item.slug)}
              title={trans.__('Copy the source URI')}
              onClick={() => actions.copy(item.pack_uri)}
            >
              <copyIcon.react tag="span" elementPosition="center" />
            </Button>
          </Fact>
        </>
      }
      actions={
        <CardActions
          item={item}
          busy={props.busySlugs.has(item.slug)}
          actions={actions}
          trans={trans}
        />
      }
    />
  );
}

function StateBadges(props: {
  item: IExplorerItem;
  trans: TranslationBundle;
}): JSX.Element {
  const { item, trans } = props;
  const badges: string[] = [];
  if (item.state.installed && item.source !== 'installed') {
    badges.push(trans.__('installed'));
  }
  if (item.state.published && item.source !== 'published') {
    badges.push(trans.__('published'));
  }
  if (item.state.newerVersion) {
    badges.push(trans.__('%1 available', item.state.newerVersion));
  }
  return (
    <>
      {badges.map(badge => (
        <span key={badge} className="jp-CondaPacks-badge jp-mod-state">
          {badge}
        </span>
      ))}
    </>
  );
}

function CardActions(props: {
  item: IExplorerItem;
  busy: boolean;
  actions: IExplorerActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { item, busy, actions, trans } = props;
  const kernel = item.env?.kernels[0];
  return (
    <>
      {item.source === 'installed' ? (
        <Button
          small
          aria-label={trans.__('Publish %1', item.slug)}
          title={trans.__('Pack if needed and publish to the store')}
          disabled={busy || !item.env?.managed}
          onClick={() => actions.publish(item)}
        >
          {item.state.published ? trans.__('Republish') : trans.__('Publish')}
        </Button>
      ) : (
        <Button
          small
          aria-label={trans.__('Install %1', item.slug)}
          title={trans.__('Download, unpack and register its kernel')}
          disabled={busy}
          onClick={() => actions.install(item)}
        >
          {item.state.installed ? trans.__('Reinstall') : trans.__('Install')}
        </Button>
      )}
      {kernel && (
        <Button
          small
          minimal
          aria-label={trans.__('Open a notebook with %1', item.slug)}
          title={trans.__('Open a new notebook with this kernel')}
          onClick={() => actions.openNotebook(kernel)}
        >
          <notebookIcon.react tag="span" elementPosition="center" />
        </Button>
      )}
      <UseInOciButton
        subject={usageSubject(item)}
        onClick={() => actions.useInOci(item)}
        trans={trans}
      />
      <Button
        small
        minimal
        aria-label={trans.__('Details of %1', item.slug)}
        title={trans.__('The whole manifest and the package list')}
        onClick={() => actions.details(item)}
      >
        {trans.__('Details')}
      </Button>
      {actions.extra
        .filter(extra => extra.applies(item))
        .map(extra => (
          <Button key={extra.id} small minimal onClick={() => extra.run(item)}>
            {extra.label(item)}
          </Button>
        ))}
      {item.state.installed && (
        <UninstallButton
          slug={item.slug}
          busy={busy}
          onUninstall={() => actions.uninstall(item)}
          trans={trans}
        />
      )}
    </>
  );
}
