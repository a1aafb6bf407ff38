import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect, InputGroup, searchIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ArchFilter } from '../models/packs';

/** The search box over pack names, slugs, descriptions and libraries. */
export function PackSearch(props: {
  value: string;
  onChange: (value: string) => void;
  /** The accessible name: what is searched ("Search published packs"). */
  label: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  return (
    <InputGroup
      type="search"
      rightIcon={searchIcon}
      placeholder={trans.__('Search packs…')}
      title={trans.__('Search names, slugs, descriptions and libraries')}
      aria-label={props.label}
      value={props.value}
      onChange={event => props.onChange(event.target.value)}
    />
  );
}

/** The CPU/GPU filter. */
export function ArchSelect(props: {
  value: ArchFilter;
  onChange: (value: ArchFilter) => void;
  /** The label of "no filter" where there is room for more than "All". */
  allLabel?: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  return (
    <HTMLSelect
      aria-label={trans.__('Architecture')}
      title={trans.__('Architecture')}
      value={props.value}
      onChange={event => props.onChange(event.target.value as ArchFilter)}
      options={[
        { value: 'all', label: props.allLabel ?? trans.__('All') },
        { value: 'CPU', label: 'CPU' },
        { value: 'GPU', label: 'GPU' }
      ]}
    />
  );
}
