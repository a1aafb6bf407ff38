import { TranslationBundle } from '@jupyterlab/translation';
import { InputGroup, ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IRebuildTarget } from '../models/repro';

/** The fields of the "Rebuild…" dialog: the new env's name and version. */
export function RebuildForm(props: {
  initial: IRebuildTarget;
  onChange: (target: IRebuildTarget) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [target, setTarget] = React.useState(props.initial);
  const update = (change: Partial<IRebuildTarget>) => {
    const next = { ...target, ...change };
    setTarget(next);
    props.onChange(next);
  };
  return (
    <div className="jp-CondaPacks-rebuildForm">
      <p>
        {trans.__(
          'Builds a new environment with exactly the packages locked in this one.'
        )}
      </p>
      <label className="jp-CondaPacks-field">
        {trans.__('Name')}
        <InputGroup
          aria-label={trans.__('Name of the rebuilt environment')}
          value={target.name}
          onChange={event => update({ name: event.target.value })}
        />
      </label>
      <label className="jp-CondaPacks-field">
        {trans.__('Version')}
        <InputGroup
          aria-label={trans.__('Version of the rebuilt environment')}
          value={target.version}
          onChange={event => update({ version: event.target.value })}
        />
      </label>
    </div>
  );
}

/** The "Rebuild…" dialog's body: its value is the name and version entered. */
export class RebuildBody extends ReactWidget {
  constructor(
    private _target: IRebuildTarget,
    private readonly trans: TranslationBundle
  ) {
    super();
  }

  getValue(): IRebuildTarget {
    return this._target;
  }

  protected render(): JSX.Element {
    return (
      <RebuildForm
        initial={this._target}
        onChange={target => {
          this._target = target;
        }}
        trans={this.trans}
      />
    );
  }
}
