import { ProgressBar } from '@jupyterlab/statusbar';
import * as React from 'react';

/**
 * JupyterLab's progress bar (the one of its upload and status bar items), with what a
 * screen reader needs: a name, the amounts as text, and no value while the total is
 * unknown. JupyterLab's component (4.0 to 4.6) takes no ARIA properties, so they are set
 * on its `progressbar` element after each render; the unknown-total bar is full and
 * striped (JupyterLab animates the stripes).
 */
export function JobProgressBar(props: {
  /** Done, from 0 to 1; null when the total is unknown. */
  fraction: number | null;
  label: string;
  valueText: string;
}): JSX.Element {
  const { fraction, label, valueText } = props;
  const ref = React.useRef<HTMLDivElement>(null);
  React.useLayoutEffect(() => {
    const bar = ref.current?.querySelector('[role="progressbar"]');
    if (!bar) {
      return;
    }
    const set = (name: string, value: string | null) =>
      value === null
        ? bar.removeAttribute(name)
        : bar.setAttribute(name, value);
    set('aria-label', label);
    set('aria-valuetext', valueText || null);
    set(
      'aria-valuenow',
      fraction === null ? null : String(Math.round(fraction * 100))
    );
  });
  return (
    <div
      ref={ref}
      className={
        fraction === null
          ? 'jp-CondaPacks-progressBar jp-mod-indeterminate'
          : 'jp-CondaPacks-progressBar'
      }
    >
      <ProgressBar percentage={fraction === null ? 100 : fraction * 100} />
    </div>
  );
}
