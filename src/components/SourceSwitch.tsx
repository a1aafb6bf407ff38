import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

/**
 * A row of toggle buttons choosing one of a few lists (Installed, Published, Data
 * Science). Each is a button with `aria-pressed`; arrow keys move between them.
 */
export function SourceSwitch<T extends string>(props: {
  sources: T[];
  selected: T;
  onSelect: (source: T) => void;
  label: (source: T) => string;
  ariaLabel: string;
}): JSX.Element {
  const { sources, selected } = props;
  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) {
      return;
    }
    const index = sources.indexOf(selected);
    const next = sources[(index + step + sources.length) % sources.length];
    props.onSelect(next);
    const buttons = event.currentTarget.querySelectorAll('button');
    buttons[sources.indexOf(next)]?.focus();
    event.preventDefault();
  };
  return (
    <div
      className="jp-CondaPacks-sourceSwitch"
      role="group"
      aria-label={props.ariaLabel}
      onKeyDown={onKeyDown}
    >
      {sources.map(source => (
        <Button
          key={source}
          small
          minimal={source !== selected}
          aria-pressed={source === selected}
          onClick={() => props.onSelect(source)}
        >
          {props.label(source)}
        </Button>
      ))}
    </div>
  );
}
