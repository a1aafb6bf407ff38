import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

/** The Uninstall action of an installed env's card (sidebar and explorer alike). */
export function UninstallButton(props: {
  slug: string;
  busy: boolean;
  onUninstall: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { slug, busy, onUninstall, trans } = props;
  return (
    <Button
      small
      minimal
      className="jp-mod-warn"
      aria-label={trans.__('Uninstall %1', slug)}
      title={trans.__('Remove the environment and its kernels')}
      disabled={busy}
      onClick={onUninstall}
    >
      {trans.__('Uninstall')}
    </Button>
  );
}
