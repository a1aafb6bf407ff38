import { TranslationBundle } from '@jupyterlab/translation';
import { Button, notebookIcon, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { archOf, ENV_ACTIONS, envJob, formatSizeMb } from '../models/packs';
import { IEnvsAnswer, ILoadable, ILocalEnv } from '../tokens';
import { useCliCommands } from './CliCommands';
import { ErrorMessage } from './ErrorMessage';

/** What the Installed section's buttons do; the widget supplies them. */
export interface IInstalledActions {
  publish: (env: ILocalEnv) => void;
  repack: (env: ILocalEnv) => void;
  uninstall: (env: ILocalEnv) => void;
  copy: (text: string) => void;
  openNotebook: (kernelName: string) => void;
  refresh: () => void;
}

/** The Installed section: one card per environment or installed pack of the pack folder. */
export function InstalledSection(props: {
  state: ILoadable<IEnvsAnswer>;
  busySlugs: Set<string>;
  actions: IInstalledActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, trans, actions } = props;
  const envs = state.data?.envs ?? [];
  return (
    <section aria-label={trans.__('Installed')} aria-busy={state.loading}>
      <div className="jp-CondaPacks-toolbar">
        <span className="jp-CondaPacks-toolbarText jp-CondaPacks-path">
          {state.data?.conda_pack_folder}
        </span>
        <Button
          minimal
          small
          aria-label={trans.__('Refresh installed packs')}
          title={trans.__('Refresh installed packs')}
          disabled={state.loading}
          onClick={actions.refresh}
        >
          <refreshIcon.react tag="span" elementPosition="center" />
        </Button>
      </div>
      {state.error ? (
        <ErrorMessage error={state.error} trans={trans} />
      ) : !state.data ? (
        <div className="jp-CondaPacks-message">{trans.__('Loading…')}</div>
      ) : envs.length === 0 ? (
        <div className="jp-CondaPacks-message">
          {trans.__(
            'No environments in %1 yet. Create one in the Create tab, or install a published pack.',
            state.data.conda_pack_folder
          )}
        </div>
      ) : (
        <ul
          className="jp-CondaPacks-cards"
          aria-label={trans.__('Installed packs')}
        >
          {envs.map(env => (
            <EnvCard
              key={env.slug}
              env={env}
              busy={props.busySlugs.has(env.slug)}
              packFolder={state.data!.conda_pack_folder}
              actions={actions}
              trans={trans}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function EnvCard(props: {
  env: ILocalEnv;
  busy: boolean;
  packFolder: string;
  actions: IInstalledActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { env, actions, trans, busy } = props;
  const titleId = `jp-CondaPacks-env-${env.slug}`;
  const kernel = env.kernels[0];
  const published = env.states?.includes('published');
  const cli = useCliCommands({
    slug: env.slug,
    requests: ENV_ACTIONS.map(action => envJob(action, env, props.packFolder)),
    copy: actions.copy,
    trans
  });
  return (
    <li
      className="jp-CondaPacks-card"
      aria-labelledby={titleId}
      data-slug={env.slug}
    >
      <div className="jp-CondaPacks-cardHeader">
        <span id={titleId} className="jp-CondaPacks-cardTitle">
          {env.name}
        </span>
        {env.version && (
          <span className="jp-CondaPacks-badge">{env.version}</span>
        )}
        <span className="jp-CondaPacks-badge">{archOf(env)}</span>
        {(env.states ?? []).map(state => (
          <span key={state} className="jp-CondaPacks-badge jp-mod-state">
            {stateLabel(state, trans)}
          </span>
        ))}
      </div>
      <dl className="jp-CondaPacks-cardFacts">
        <Fact label={trans.__('Slug')} value={env.slug} code />
        <Fact label={trans.__('Python')} value={env.python} volatile />
        <Fact
          label={trans.__('Size')}
          value={formatSizeMb(env.size_mb)}
          volatile
        />
        <Fact
          label={trans.__('Kernel')}
          value={kernel ?? trans.__('none')}
          code={!!kernel}
        />
        <Fact label={trans.__('Source')} value={env.pack_uri} code volatile />
        <Fact
          label={trans.__('Created')}
          value={env.create_date ?? ''}
          volatile
        />
      </dl>
      <div
        className="jp-CondaPacks-actions"
        role="toolbar"
        aria-label={trans.__('Actions for %1', env.slug)}
      >
        <Button
          small
          aria-label={trans.__('Publish %1', env.slug)}
          title={trans.__('Pack if needed and publish to the store')}
          disabled={busy || !env.managed}
          onClick={() => actions.publish(env)}
        >
          {published ? trans.__('Republish') : trans.__('Publish')}
        </Button>
        <Button
          small
          minimal
          aria-label={trans.__('Re-pack %1', env.slug)}
          title={trans.__('Pack the environment again')}
          disabled={busy || !env.managed}
          onClick={() => actions.repack(env)}
        >
          {trans.__('Re-pack')}
        </Button>
        <Button
          small
          minimal
          aria-label={trans.__('Open a notebook with %1', env.slug)}
          title={trans.__('Open a new notebook with this kernel')}
          disabled={!kernel}
          onClick={() => kernel && actions.openNotebook(kernel)}
        >
          <notebookIcon.react tag="span" elementPosition="center" />
        </Button>
        <Button
          small
          minimal
          className="jp-mod-warn"
          aria-label={trans.__('Uninstall %1', env.slug)}
          title={trans.__('Remove the environment and its kernels')}
          disabled={busy}
          onClick={() => actions.uninstall(env)}
        >
          {trans.__('Uninstall')}
        </Button>
        {cli.toggle}
      </div>
      {cli.list}
    </li>
  );
}

function stateLabel(state: string, trans: TranslationBundle): string {
  switch (state) {
    case 'built':
      return trans.__('built');
    case 'installed':
      return trans.__('installed');
    case 'packed':
      return trans.__('packed');
    case 'published':
      return trans.__('published');
    default:
      return state;
  }
}

/** A term and its value in a card; hidden when there is no value. */
export function Fact(props: {
  label: string;
  value: string | undefined;
  code?: boolean;
  /** A value that changes from run to run (sizes, dates): marked for screenshot masks. */
  volatile?: boolean;
  children?: React.ReactNode;
}): JSX.Element | null {
  if (!props.value) {
    return null;
  }
  return (
    <div
      className="jp-CondaPacks-cardFact"
      role="group"
      aria-label={props.label}
    >
      <dt>{props.label}</dt>
      <dd
        className={
          [
            props.code ? 'jp-CondaPacks-path' : '',
            props.volatile ? 'jp-CondaPacks-volatile' : ''
          ]
            .filter(Boolean)
            .join(' ') || undefined
        }
      >
        {props.value}
        {props.children}
      </dd>
    </div>
  );
}
