import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

/**
 * A card's "Rebuild…" and "Compare with…" buttons; each shows only when the card offers
 * it (given a handler).
 */
export function ReproButtons(props: {
  slug: string;
  rebuild?: () => void;
  compare?: () => void;
  disabled: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { slug, trans } = props;
  return (
    <>
      {props.rebuild && (
        <Button
          small
          minimal
          aria-label={trans.__('Rebuild %1', slug)}
          title={trans.__(
            'Build a new environment with exactly these packages'
          )}
          disabled={props.disabled}
          onClick={props.rebuild}
        >
          {trans.__('Rebuild…')}
        </Button>
      )}
      {props.compare && (
        <Button
          small
          minimal
          aria-label={trans.__('Compare %1 with another pack', slug)}
          title={trans.__('Show the packages that differ from another pack')}
          onClick={props.compare}
        >
          {trans.__('Compare with…')}
        </Button>
      )}
    </>
  );
}
