/**
 * Jobs as the Activity section shows them: pure functions for their state and progress
 * arithmetic, and the JobsModel that keeps them current from the event bus, with polling
 * as the fallback.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IJob, IJobProgress, JobKind, JobParams, JobState } from '../types';

/** A job with the part of its log fetched so far (from line 0). */
export interface IJobView extends IJob {
  log: string[];
}

const ACTIVE_STATES: JobState[] = ['queued', 'running'];

/** Whether a job may still change (queued or running). */
export function isActive(state: JobState): boolean {
  return ACTIVE_STATES.includes(state);
}

/** The share of the phase done, from 0 to 1, or null when the total is unknown. */
export function progressFraction(progress: IJobProgress): number | null {
  if (!progress.total || progress.total <= 0) {
    return null;
  }
  return Math.min(1, Math.max(0, progress.done / progress.total));
}

/** Seconds left in the phase at the current rate, or null when it cannot be told. */
export function timeLeft(progress: IJobProgress): number | null {
  if (!progress.total || !progress.rate || progress.rate <= 0) {
    return null;
  }
  return Math.max(0, (progress.total - progress.done) / progress.rate);
}

/** A byte count in words: `512 B`, `12.3 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let index = 0;
  while (value >= 1000 && index < units.length - 1) {
    value /= 1000;
    index++;
  }
  return index === 0
    ? `${Math.round(value)} ${units[0]}`
    : `${value.toFixed(1)} ${units[index]}`;
}

/** An amount of a unit: bytes get a size, other units a count. */
export function formatAmount(value: number, unit: string): string {
  if (unit === 'bytes') {
    return formatBytes(value);
  }
  const count = Number.isInteger(value) ? `${value}` : value.toFixed(1);
  return unit ? `${count} ${unit}` : count;
}

/** A duration: `45 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  if (total < 60) {
    return `${total} s`;
  }
  const minutes = Math.floor(total / 60);
  if (minutes < 60) {
    return `${minutes} min ${String(total % 60).padStart(2, '0')} s`;
  }
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** "12.3 MB of 33.0 MB · 4.1 MB/s · 5 s left", with the parts that are known. */
export function describeProgress(
  progress: IJobProgress,
  trans: TranslationBundle
): string {
  const { done, total, unit, rate } = progress;
  const parts: string[] = [];
  if (total) {
    parts.push(
      trans.__('%1 of %2', formatAmount(done, unit), formatAmount(total, unit))
    );
  } else if (done) {
    parts.push(formatAmount(done, unit));
  }
  if (rate && rate > 0) {
    parts.push(trans.__('%1/s', formatAmount(rate, unit)));
  }
  const left = timeLeft(progress);
  if (left !== null) {
    parts.push(trans.__('%1 left', formatDuration(left)));
  }
  return parts.join(' · ');
}

/** The job's state in words. */
export function describeState(
  state: JobState,
  trans: TranslationBundle
): string {
  switch (state) {
    case 'queued':
      return trans.__('Queued');
    case 'running':
      return trans.__('Running');
    case 'succeeded':
      return trans.__('Succeeded');
    case 'failed':
      return trans.__('Failed');
    case 'cancelled':
      return trans.__('Cancelled');
    case 'interrupted':
      return trans.__('Interrupted');
  }
}

/** The job's title: "Create myenv_v1_0". */
export function describeJob(job: IJob, trans: TranslationBundle): string {
  const verbs: Record<JobKind, string> = {
    create: trans.__('Create'),
    pack: trans.__('Pack'),
    install: trans.__('Install'),
    uninstall: trans.__('Uninstall'),
    publish: trans.__('Publish'),
    unpublish: trans.__('Unpublish'),
    clean: trans.__('Clean up')
  };
  const what =
    job.slug ||
    (job.params?.slug as string) ||
    (job.params?.name as string) ||
    (job.params?.environment_file as string) ||
    '';
  return what ? `${verbs[job.kind]} ${what}` : verbs[job.kind];
}

/**
 * The job after an update (a job event or a GET answer). Log lines are appended when they
 * continue the log held so far; `missingLog` says lines were skipped and must be fetched.
 */
export function applyUpdate(
  current: IJobView | undefined,
  update: IJob
): { job: IJobView; missingLog: boolean } {
  const log = current ? current.log : [];
  const lines = update.log ?? [];
  const offset = update.log_offset ?? 0;
  let merged = log;
  if (lines.length && offset <= log.length) {
    merged = log.slice(0, offset).concat(lines);
  }
  const total = update.log_total ?? merged.length;
  const job: IJobView = {
    ...current,
    ...update,
    params: update.params ?? current?.params,
    log: merged
  };
  return { job, missingLog: total > merged.length };
}

/** Newest first, as the server lists them. */
export function sortJobs(jobs: IJobView[]): IJobView[] {
  return [...jobs].sort((a, b) =>
    (b.created ?? '').localeCompare(a.created ?? '')
  );
}

/** The server calls the model makes; tests pass their own. */
export interface IJobsApi {
  jobs: () => Promise<IJob[]>;
  job: (id: string, logOffset: number) => Promise<IJob>;
  submitJob: (kind: JobKind, params: JobParams) => Promise<IJob>;
  cancelJob: (id: string) => Promise<IJob>;
}

/**
 * Every job the server knows, kept current: job events update it live; a poll (backing
 * off, stopped while the panel is hidden) catches up when events do not arrive.
 */
export class JobsModel {
  constructor(private readonly server: IJobsApi) {
    this._poll = new Poll({
      factory: () => this.catchUp(),
      frequency: { interval: 3000, backoff: true, max: 30000 },
      standby: () => (this._visible ? 'when-hidden' : true),
      name: 'conda-pack-ext:jobs'
    });
  }

  /** The jobs, newest first. */
  get jobs(): IJobView[] {
    return this._list;
  }

  /** The last error of a request, if the server could not be read. */
  get error(): Error | null {
    return this._error;
  }

  /** Emitted whenever a job or the list changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted once when a job this model saw active has ended. */
  get jobEnded(): ISignal<this, IJobView> {
    return this._jobEnded;
  }

  /** Whether the panel shows; the poll sleeps while it does not. */
  set visible(value: boolean) {
    this._visible = value;
    if (value) {
      void this._poll.refresh();
    }
  }

  get(id: string): IJobView | undefined {
    return this._jobs.get(id);
  }

  /** Read the whole list again (the history survives page reloads on the server). */
  async load(): Promise<void> {
    try {
      const jobs = await this.server.jobs();
      this._error = null;
      for (const job of jobs) {
        this.update(job);
      }
    } catch (error) {
      this._error = error as Error;
    }
    this.emitChanged();
  }

  /** Apply a job event from the server's event bus. */
  handleEvent(update: IJob): void {
    this._lastEvent = Date.now();
    this.update(update);
    this.emitChanged();
  }

  /** Fetch the log lines of a job not held yet. */
  async fetchLog(id: string): Promise<void> {
    const held = this._jobs.get(id);
    const job = await this.server.job(id, held ? held.log.length : 0);
    this.update(job);
    this.emitChanged();
  }

  /** Start a job; it shows at once, before its first event. */
  async submit(kind: JobKind, params: JobParams): Promise<IJobView> {
    const job = await this.server.submitJob(kind, params);
    this.update(job);
    this.emitChanged();
    void this._poll.refresh();
    return this._jobs.get(job.id)!;
  }

  /** Ask the server to cancel a job. */
  async cancel(id: string): Promise<void> {
    const job = await this.server.cancelJob(id);
    this.update(job);
    this.emitChanged();
  }

  dispose(): void {
    this._poll.dispose();
  }

  /** The poll's work: when events went quiet, read the active jobs (and their logs). */
  private async catchUp(): Promise<void> {
    const active = this._list.filter(job => isActive(job.state));
    if (!this._loadedOnce) {
      this._loadedOnce = true;
      await this.load();
      return;
    }
    if (!active.length || Date.now() - this._lastEvent < 2000) {
      return;
    }
    await Promise.all(active.map(job => this.fetchLog(job.id)));
  }

  private update(update: IJob): void {
    const current = this._jobs.get(update.id);
    if (current && !isActive(current.state) && isActive(update.state)) {
      // A stale answer (an event or a GET sent before the job ended) arriving late: an
      // ended job never runs again, and must not end (and notify) twice.
      return;
    }
    const { job, missingLog } = applyUpdate(current, update);
    this._jobs.set(job.id, job);
    if (current && isActive(current.state) && !isActive(job.state)) {
      this._jobEnded.emit(job);
    }
    if (missingLog && update.log !== undefined && !this._fetching.has(job.id)) {
      this._fetching.add(job.id);
      void this.fetchLog(job.id)
        .catch(() => undefined)
        .finally(() => this._fetching.delete(job.id));
    }
  }

  private emitChanged(): void {
    this._list = sortJobs([...this._jobs.values()]);
    this._changed.emit();
  }

  private _jobs = new Map<string, IJobView>();
  private _list: IJobView[] = [];
  private _error: Error | null = null;
  private _visible = false;
  private _loadedOnce = false;
  private _lastEvent = 0;
  private _fetching = new Set<string>();
  private _poll: Poll;
  private _changed = new Signal<this, void>(this);
  private _jobEnded = new Signal<this, IJobView>(this);
}
