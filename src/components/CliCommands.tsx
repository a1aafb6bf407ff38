import { TranslationBundle } from '@jupyterlab/translation';
import { Button, codeIcon, copyIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { cliCommand, IJobRequest } from '../models/packs';
import { JobKind } from '../types';

/** The action a command repeats, in the words of the card's button. */
function actionLabel(kind: JobKind, trans: TranslationBundle): string {
  switch (kind) {
    case 'publish':
      return trans.__('Publish');
    case 'pack':
      return trans.__('Re-pack');
    case 'uninstall':
      return trans.__('Uninstall');
    case 'install':
      return trans.__('Install');
    default:
      return kind;
  }
}

/** The accessible name of a command's copy button. */
function copyLabel(kind: JobKind, slug: string, trans: TranslationBundle) {
  switch (kind) {
    case 'publish':
      return trans.__('Copy the publish command of %1', slug);
    case 'pack':
      return trans.__('Copy the re-pack command of %1', slug);
    case 'uninstall':
      return trans.__('Copy the uninstall command of %1', slug);
    case 'install':
      return trans.__('Copy the install command of %1', slug);
    default:
      return trans.__('Copy the command of %1', slug);
  }
}

/**
 * A card's CLI commands: a toolbar button that shows or hides them, and the list, one
 * command per action of the card, each with its copy button. The commands are built from
 * the same job requests the card's buttons send.
 */
export function useCliCommands(props: {
  slug: string;
  requests: IJobRequest[];
  copy: (text: string) => void;
  trans: TranslationBundle;
}): { toggle: JSX.Element; list: JSX.Element | null } {
  const { slug, requests, trans } = props;
  const [open, setOpen] = React.useState(false);
  const listId = `jp-CondaPacks-cli-${slug}`;
  const toggle = (
    <Button
      small
      minimal
      aria-expanded={open}
      aria-controls={listId}
      aria-label={trans.__('CLI commands of %1', slug)}
      title={trans.__('Show the equivalent conda-pack-ext commands')}
      onClick={() => setOpen(!open)}
    >
      <codeIcon.react tag="span" elementPosition="center" />
    </Button>
  );
  const list = open ? (
    <ul
      id={listId}
      className="jp-CondaPacks-cliCommands"
      aria-label={trans.__('CLI commands of %1', slug)}
    >
      {requests.map(request => {
        const command = cliCommand(request);
        return (
          <li key={request.kind} className="jp-CondaPacks-cliCommand">
            <span className="jp-CondaPacks-cliAction">
              {actionLabel(request.kind, trans)}
            </span>
            <code className="jp-CondaPacks-path">{command}</code>
            <Button
              small
              minimal
              aria-label={copyLabel(request.kind, slug, trans)}
              title={trans.__('Copy')}
              onClick={() => props.copy(command)}
            >
              <copyIcon.react tag="span" elementPosition="center" />
            </Button>
          </li>
        );
      })}
    </ul>
  ) : null;
  return { toggle, list };
}
