import { TranslationBundle } from '@jupyterlab/translation';
import { Button, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  describeJob,
  describeProgress,
  describeState,
  isActive,
  IJobView,
  progressFraction
} from '../models/jobs';
import { ErrorMessage } from './ErrorMessage';
import { JobProgressBar } from './JobProgressBar';

export interface IActivityActions {
  cancel: (job: IJobView) => void;
  loadLog: (job: IJobView) => void;
  refresh: () => void;
}

/** The Activity section: running jobs with their progress and log, then the history. */
export function ActivitySection(props: {
  jobs: IJobView[];
  error: Error | null;
  actions: IActivityActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { jobs, trans, actions } = props;
  const active = jobs.filter(job => isActive(job.state));
  const ended = jobs.filter(job => !isActive(job.state));
  return (
    <section aria-label={trans.__('Activity')}>
      <div className="jp-CondaPacks-toolbar">
        <Button
          minimal
          small
          aria-label={trans.__('Refresh activity')}
          title={trans.__('Refresh activity')}
          onClick={actions.refresh}
        >
          <refreshIcon.react tag="span" elementPosition="center" />
        </Button>
      </div>
      {props.error && <ErrorMessage error={props.error} trans={trans} />}
      {jobs.length === 0 && !props.error && (
        <div className="jp-CondaPacks-message">
          {trans.__(
            'No jobs yet. Jobs you start show here with their progress.'
          )}
        </div>
      )}
      {active.length > 0 && (
        <ul
          className="jp-CondaPacks-cards"
          aria-label={trans.__('Running jobs')}
        >
          {active.map(job => (
            <JobCard key={job.id} job={job} actions={actions} trans={trans} />
          ))}
        </ul>
      )}
      {ended.length > 0 && (
        <>
          <h3 className="jp-CondaPacks-subtitle">{trans.__('History')}</h3>
          <ul
            className="jp-CondaPacks-cards"
            aria-label={trans.__('Job history')}
          >
            {ended.map(job => (
              <JobCard key={job.id} job={job} actions={actions} trans={trans} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** One job: title, state, phase, progress bar with amounts, rate and time left, its log. */
export function JobCard(props: {
  job: IJobView;
  actions: IActivityActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { job, trans, actions } = props;
  const [showLog, setShowLog] = React.useState(isActive(job.state));
  const logRef = React.useRef<HTMLPreElement>(null);
  const title = describeJob(job, trans);
  const titleId = `jp-CondaPacks-job-${job.id}`;
  const fraction = progressFraction(job.progress);
  const running = isActive(job.state);

  React.useEffect(() => {
    if (showLog) {
      actions.loadLog(job);
    }
  }, [showLog]);
  React.useEffect(() => {
    const node = logRef.current;
    if (node) {
      node.scrollTop = node.scrollHeight;
    }
  }, [job.log.length, showLog]);

  return (
    <li
      className={`jp-CondaPacks-card jp-CondaPacks-job jp-mod-${job.state}`}
      aria-labelledby={titleId}
      data-job-id={job.id}
    >
      <div className="jp-CondaPacks-cardHeader">
        <span id={titleId} className="jp-CondaPacks-cardTitle">
          {title}
        </span>
        <span
          className={`jp-CondaPacks-badge jp-CondaPacks-state jp-mod-${job.state}`}
          aria-label={trans.__('State')}
        >
          {describeState(job.state, trans)}
        </span>
      </div>
      {running && (
        <div className="jp-CondaPacks-progress">
          <div className="jp-CondaPacks-phase">
            {job.cancel_requested ? trans.__('cancelling…') : job.phase}
          </div>
          <JobProgressBar
            fraction={fraction}
            label={trans.__('Progress of %1', title)}
            valueText={describeProgress(job.progress, trans) || job.phase}
          />
          <div className="jp-CondaPacks-progressText">
            {describeProgress(job.progress, trans)}
          </div>
        </div>
      )}
      {job.error && job.state !== 'cancelled' && (
        <div className="jp-CondaPacks-message" role="alert">
          <div>{job.error.message}</div>
          {job.error.hint && (
            <div className="jp-CondaPacks-hint">{job.error.hint}</div>
          )}
        </div>
      )}
      <div className="jp-CondaPacks-jobMeta">
        <time dateTime={job.created ?? undefined}>
          {job.created ? new Date(job.created).toLocaleString() : ''}
        </time>
      </div>
      <div
        className="jp-CondaPacks-actions"
        role="toolbar"
        aria-label={trans.__('Actions for %1', title)}
      >
        <Button
          small
          minimal
          aria-expanded={showLog}
          aria-controls={`${titleId}-log`}
          aria-label={
            showLog
              ? trans.__('Hide log of %1', title)
              : trans.__('Show log of %1', title)
          }
          onClick={() => setShowLog(!showLog)}
        >
          {showLog ? trans.__('Hide log') : trans.__('Show log')}
        </Button>
        {running && (
          <Button
            small
            className="jp-mod-warn"
            aria-label={trans.__('Cancel %1', title)}
            disabled={job.cancel_requested}
            onClick={() => actions.cancel(job)}
          >
            {trans.__('Cancel')}
          </Button>
        )}
      </div>
      {showLog && (
        <pre
          id={`${titleId}-log`}
          ref={logRef}
          className="jp-CondaPacks-log"
          role="log"
          aria-label={trans.__('Log of %1', title)}
          tabIndex={0}
        >
          {job.log.join('\n')}
        </pre>
      )}
    </li>
  );
}
