/**
 * What to tell the user when a job ends: the notification's words and actions, kept apart
 * from JupyterLab's Notification API so they can be tested without it.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { describeJob, IJobView } from './models/jobs';

/** A notification about a job's end. */
export interface IJobNotice {
  type: 'success' | 'info' | 'error';
  message: string;
  /** Milliseconds before it goes away, or false to keep it until dismissed. */
  autoClose: number | false;
  /** The kernel a new notebook can use (an install that registered one), or null. */
  kernel: string | null;
  /** Whether to offer to show the job in Activity (its log says what went wrong). */
  showActivity: boolean;
}

/**
 * The notification for a job that ended: done (with the kernel an install registered),
 * cancelled, or failed with the server's message and what to do next.
 */
export function jobEndNotice(
  job: IJobView,
  trans: TranslationBundle
): IJobNotice {
  const title = describeJob(job, trans);
  if (job.state === 'succeeded') {
    const kernels = (job.result?.kernels as string[] | undefined) ?? [];
    return {
      type: 'success',
      message: trans.__('%1: done', title),
      autoClose: 8000,
      kernel: job.kind === 'install' && kernels.length ? kernels[0] : null,
      showActivity: false
    };
  }
  if (job.state === 'cancelled') {
    return {
      type: 'info',
      message: trans.__('%1: cancelled', title),
      autoClose: 5000,
      kernel: null,
      showActivity: false
    };
  }
  const error = job.error ?? {};
  return {
    type: 'error',
    message: failureMessage(
      trans.__('%1 failed', title),
      error.message ?? '',
      error.hint ?? ''
    ),
    autoClose: false,
    kernel: null,
    showActivity: true
  };
}

/**
 * JupyterLab cuts a notification's message after this many characters
 * (the full story stays in the Activity section).
 */
export const NOTICE_MAX_LENGTH = 140;

/**
 * "<title>: <message>" and, on its own line, the hint. The message is shortened (with an
 * ellipsis) so that the hint — what to do next — is never the part cut off.
 */
export function failureMessage(
  title: string,
  message: string,
  hint: string,
  maxLength = NOTICE_MAX_LENGTH
): string {
  const tail = hint ? `\n${hint}` : '';
  if (!message) {
    return `${title}${tail}`;
  }
  const room = maxLength - title.length - ': '.length - tail.length;
  const shown =
    message.length <= room
      ? message
      : room > 1
        ? `${message.slice(0, room - 1).trimEnd()}…`
        : '';
  return shown ? `${title}: ${shown}${tail}` : `${title}${tail}`;
}
