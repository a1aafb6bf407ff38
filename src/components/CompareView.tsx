import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  DiffChange,
  diffQuery,
  diffRows,
  IDiffRow,
  IPackRef,
  refKey
} from '../models/repro';
import { IDiffAnswer } from '../types';
import { ErrorMessage } from './ErrorMessage';

/** The label of a pack reference in the "Compare with…" list. */
export function refLabel(ref: IPackRef, trans: TranslationBundle): string {
  const where = ref.published ? trans.__('published') : trans.__('installed');
  return trans
    .__('%1 %2 (%3)', ref.name, ref.version, where)
    .replace(/\s+/g, ' ');
}

/**
 * The "Compare with…" dialog's body: pick B among `candidates`, then the packages that
 * differ from `subject` (A) to B, as a table.
 */
export function CompareView(props: {
  subject: IPackRef;
  candidates: IPackRef[];
  fetchDiff: (query: string) => Promise<IDiffAnswer>;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans, candidates } = props;
  const [key, setKey] = React.useState('');
  const [answer, setAnswer] = React.useState<IDiffAnswer | null>(null);
  const [error, setError] = React.useState<Error | null>(null);
  const other = candidates.find(ref => refKey(ref) === key);
  React.useEffect(() => {
    setAnswer(null);
    setError(null);
    if (!other) {
      return;
    }
    let current = true;
    props
      .fetchDiff(diffQuery(props.subject, other))
      .then(diff => current && setAnswer(diff))
      .catch(reason => current && setError(reason as Error));
    return () => {
      current = false;
    };
  }, [key]);
  if (candidates.length === 0) {
    return (
      <p className="jp-CondaPacks-message">
        {trans.__(
          'There is no other installed or published pack to compare with.'
        )}
      </p>
    );
  }
  return (
    <div className="jp-CondaPacks-compare">
      <HTMLSelect
        aria-label={trans.__('Pack to compare %1 with', props.subject.slug)}
        value={key}
        onChange={event => setKey(event.target.value)}
        options={[
          { value: '', label: trans.__('Choose a pack…') },
          ...candidates.map(ref => ({
            value: refKey(ref),
            label: refLabel(ref, trans)
          }))
        ]}
      />
      {error ? (
        <ErrorMessage error={error} trans={trans} />
      ) : other && !answer ? (
        <p className="jp-CondaPacks-message">{trans.__('Comparing…')}</p>
      ) : answer ? (
        <DiffTable rows={diffRows(answer)} trans={trans} />
      ) : null}
    </div>
  );
}

function changeLabel(change: DiffChange, trans: TranslationBundle): string {
  switch (change) {
    case 'added':
      return trans.__('added');
    case 'removed':
      return trans.__('removed');
    default:
      return trans.__('changed');
  }
}

/** The packages that differ, one row each; a sentence when none does. */
export function DiffTable(props: {
  rows: IDiffRow[];
  trans: TranslationBundle;
}): JSX.Element {
  const { rows, trans } = props;
  if (rows.length === 0) {
    return (
      <p className="jp-CondaPacks-message">
        {trans.__('Both hold the same packages.')}
      </p>
    );
  }
  return (
    <table className="jp-CondaPacks-diffTable">
      <thead>
        <tr>
          <th scope="col">{trans.__('Package')}</th>
          <th scope="col">{trans.__('Kind')}</th>
          <th scope="col">{trans.__('Change')}</th>
          <th scope="col">{trans.__('From')}</th>
          <th scope="col">{trans.__('To')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(row => (
          <tr
            key={`${row.kind}:${row.name}`}
            className={`jp-CondaPacks-diff-${row.change}`}
          >
            <th scope="row">{row.name}</th>
            <td>{row.kind}</td>
            <td>{changeLabel(row.change, trans)}</td>
            <td>{row.from}</td>
            <td>{row.to}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
