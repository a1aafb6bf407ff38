import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { describeError } from '../describe';

/** A failed request, in words, with what to do next. Announced to screen readers. */
export function ErrorMessage(props: {
  error: unknown;
  trans: TranslationBundle;
}): JSX.Element {
  const { message, hint } = describeError(props.error, props.trans);
  return (
    <div className="jp-CondaPacks-message" role="alert">
      <div>{message}</div>
      {hint && <div className="jp-CondaPacks-hint">{hint}</div>}
    </div>
  );
}
