import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  describeAuth,
  describeBuilder,
  describeEngine,
  describeStore
} from '../describe';
import { ILoadable, IStatus } from '../types';
import { ErrorMessage } from './ErrorMessage';

export interface IStatusSectionProps {
  state: ILoadable<IStatus>;
  trans: TranslationBundle;
  onRefresh: () => void;
}

/** The Status section: which builders the server has and which settings are in effect. */
export function StatusSection(props: IStatusSectionProps): JSX.Element {
  const { state, trans, onRefresh } = props;
  return (
    <section aria-label={trans.__('Status')} aria-busy={state.loading}>
      <div className="jp-CondaPacks-toolbar">
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-CondaPacks-refresh"
          aria-label={trans.__('Refresh status')}
          title={trans.__('Refresh status')}
          disabled={state.loading}
          onClick={onRefresh}
        >
          <refreshIcon.react tag="span" elementPosition="center" />
        </button>
      </div>
      {state.error ? (
        <ErrorMessage error={state.error} trans={trans} />
      ) : state.data ? (
        <StatusFacts status={state.data} trans={trans} />
      ) : (
        <div className="jp-CondaPacks-message">{trans.__('Loading…')}</div>
      )}
    </section>
  );
}

function StatusFacts(props: {
  status: IStatus;
  trans: TranslationBundle;
}): JSX.Element {
  const { status, trans } = props;
  return (
    <dl className="jp-CondaPacks-facts">
      <Fact id="engine" label={trans.__('Engine')}>
        {describeEngine(status.engine, status.builders, trans)}
      </Fact>
      <Fact id="builders" label={trans.__('Builders')}>
        <ul className="jp-CondaPacks-builders">
          {status.builders.map(builder => (
            <li key={builder.name}>{describeBuilder(builder, trans)}</li>
          ))}
        </ul>
      </Fact>
      <Fact id="pack-folder" label={trans.__('Pack folder')} path>
        {status.conda_pack_folder}
      </Fact>
      <Fact id="store" label={trans.__('Store')}>
        <div>{describeStore(status.store_uri, trans)}</div>
        <div className="jp-CondaPacks-path">{status.store_uri}</div>
      </Fact>
      <Fact id="auth" label={trans.__('Authentication')}>
        {describeAuth(status.auth, trans)}
      </Fact>
      <Fact id="config" label={trans.__('Config file')} path>
        {status.config_path}
      </Fact>
      <Fact id="version" label={trans.__('Version')}>
        {status.version}
      </Fact>
    </dl>
  );
}

/**
 * A term and its value. The pair is a group named by the term, so assistive technology
 * (and the browser tests) can find a value by its label.
 */
function Fact(props: {
  id: string;
  label: string;
  path?: boolean;
  children: React.ReactNode;
}): JSX.Element {
  const termId = `jp-CondaPacks-fact-${props.id}`;
  return (
    <div role="group" aria-labelledby={termId} className="jp-CondaPacks-fact">
      <dt id={termId}>{props.label}</dt>
      <dd className={props.path ? 'jp-CondaPacks-path' : undefined}>
        {props.children}
      </dd>
    </div>
  );
}
