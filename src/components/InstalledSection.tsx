import { TranslationBundle } from '@jupyterlab/translation';
import { Button, notebookIcon, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ENV_ACTIONS, envJob } from '../models/packs';
import { IEnvsAnswer, ILoadable, ILocalEnv } from '../types';
import { useCliCommands } from './CliCommands';
import { ErrorMessage } from './ErrorMessage';
import { Fact, PackCard } from './PackCard';
import { ReproButtons } from './ReproButtons';
import { UninstallButton } from './UninstallButton';

/** What the Installed section's buttons do; the widget supplies them. */
export interface IInstalledActions {
  publish: (env: ILocalEnv) => void;
  repack: (env: ILocalEnv) => void;
  uninstall: (env: ILocalEnv) => void;
  copy: (text: string) => void;
  openNotebook: (kernelName: string) => void;
  refresh: () => void;
  /** "Rebuild…" and "Compare with…" (offered when given). */
  rebuild?: (env: ILocalEnv) => void;
  compare?: (env: ILocalEnv) => void;
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
  const kernel = env.kernels[0];
  const published = env.states?.includes('published');
  const cli = useCliCommands({
    slug: env.slug,
    requests: ENV_ACTIONS.map(action => envJob(action, env, props.packFolder)),
    copy: actions.copy,
    trans
  });
  return (
    <PackCard
      subject={env}
      idPrefix="jp-CondaPacks-env"
      trans={trans}
      cli={cli}
      badges={
        <>
          {(env.states ?? []).map(state => (
            <span key={state} className="jp-CondaPacks-badge jp-mod-state">
              {stateLabel(state, trans)}
            </span>
          ))}
        </>
      }
      facts={
        <>
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
        </>
      }
      actions={
        <>
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
          <ReproButtons
            slug={env.slug}
            rebuild={actions.rebuild && (() => actions.rebuild?.(env))}
            compare={actions.compare && (() => actions.compare?.(env))}
            disabled={busy}
            trans={trans}
          />
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
          <UninstallButton
            slug={env.slug}
            busy={busy}
            onUninstall={() => actions.uninstall(env)}
            trans={trans}
          />
        </>
      }
    />
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
