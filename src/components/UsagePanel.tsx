import { TranslationBundle } from '@jupyterlab/translation';
import { Button, copyIcon, HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  canUseInOci,
  IUsageSubject,
  SnippetKind,
  USAGE_TARGETS,
  usageQuery,
  usageSnippets
} from '../models/usage';
import { IUsageAnswer, UsageTarget } from '../types';
import { ErrorMessage } from './ErrorMessage';

function targetLabel(target: UsageTarget, trans: TranslationBundle): string {
  switch (target) {
    case 'job':
      return trans.__('Data Science job');
    case 'pipeline':
      return trans.__('Data Science pipeline');
    case 'model-deployment':
      return trans.__('Model deployment');
    case 'dataflow':
      return trans.__('Data Flow run');
  }
}

function snippetLabel(kind: SnippetKind, trans: TranslationBundle): string {
  switch (kind) {
    case 'env':
      return trans.__('Environment variables');
    case 'runtime-yaml':
      return trans.__('runtime.yaml');
    case 'spark':
      return trans.__('Spark configuration');
    case 'ads-python':
      return trans.__('With ADS in Python');
    case 'policy':
      return trans.__('IAM policy');
  }
}

/**
 * "Use in OCI…": a menu of OCI services, and for the chosen one the snippets to paste
 * (job variables, runtime.yaml, spark.archives, the IAM policy), each with a copy button.
 */
export function UsagePanel(props: {
  subject: IUsageSubject;
  fetchUsage: (query: string) => Promise<IUsageAnswer>;
  copy: (text: string) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { subject, trans } = props;
  const [target, setTarget] = React.useState<UsageTarget>('job');
  const [answer, setAnswer] = React.useState<IUsageAnswer | null>(null);
  const [error, setError] = React.useState<unknown>(null);
  React.useEffect(() => {
    let current = true;
    setAnswer(null);
    setError(null);
    props
      .fetchUsage(usageQuery(subject, target))
      .then(value => current && setAnswer(value))
      .catch(reason => current && setError(reason));
    return () => {
      current = false;
    };
  }, [subject.slug, subject.pack_uri, target]);
  return (
    <div className="jp-CondaPacks-usage">
      <label className="jp-CondaPacks-field">
        <span>{trans.__('Use %1 in', subject.slug)}</span>
        <HTMLSelect
          aria-label={trans.__('OCI service')}
          value={target}
          onChange={event => setTarget(event.target.value as UsageTarget)}
          options={USAGE_TARGETS.map(value => ({
            value,
            label: targetLabel(value, trans)
          }))}
        />
      </label>
      {error ? (
        <ErrorMessage error={error} trans={trans} />
      ) : !answer ? (
        <div className="jp-CondaPacks-message">{trans.__('Loading…')}</div>
      ) : (
        usageSnippets(answer).map(snippet => {
          const label = snippetLabel(snippet.kind, trans);
          return (
            <section
              key={snippet.kind}
              className="jp-CondaPacks-snippet"
              aria-label={label}
            >
              <div className="jp-CondaPacks-snippetHeader">
                <span>{label}</span>
                <Button
                  small
                  minimal
                  aria-label={trans.__('Copy %1', label)}
                  title={trans.__('Copy')}
                  onClick={() => props.copy(snippet.text)}
                >
                  <copyIcon.react tag="span" elementPosition="center" />
                </Button>
              </div>
              <pre className="jp-CondaPacks-path">{snippet.text}</pre>
            </section>
          );
        })
      )}
    </div>
  );
}

/** The "Use in OCI…" button of a card; none for packs OCI services cannot read. */
export function UseInOciButton(props: {
  subject: IUsageSubject;
  onClick: (subject: IUsageSubject) => void;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { subject, trans } = props;
  if (!canUseInOci(subject)) {
    return null;
  }
  return (
    <Button
      small
      minimal
      aria-label={trans.__('Use %1 in OCI', subject.slug)}
      title={trans.__(
        'What to paste to use it in a job, pipeline, model deployment or Data Flow'
      )}
      onClick={() => props.onClick(subject)}
    >
      {trans.__('Use in OCI…')}
    </Button>
  );
}
