import { ISignal, Signal } from '@lumino/signaling';

import { ILoadable, IStatus } from '../types';

/** Fetches a status answer (the server's GET status; a fixture in tests). */
export type StatusFetcher = () => Promise<IStatus>;

/**
 * What the server reports about itself (builders, pack folder, store, auth), with the
 * loading and error state the panel shows. Views listen to `changed`.
 */
export class StatusModel {
  constructor(private readonly fetcher: StatusFetcher) {}

  /** The current state; a new object after every change. */
  get state(): ILoadable<IStatus> {
    return this._state;
  }

  /** Emitted whenever `state` changes. */
  get changed(): ISignal<this, ILoadable<IStatus>> {
    return this._changed;
  }

  /** Ask the server again. Concurrent calls share one request. */
  refresh(): Promise<void> {
    if (!this._pending) {
      this._pending = this.load().finally(() => {
        this._pending = null;
      });
    }
    return this._pending;
  }

  private async load(): Promise<void> {
    this.setState({ ...this._state, loading: true });
    try {
      const data = await this.fetcher();
      this.setState({ data, error: null, loading: false });
    } catch (error) {
      this.setState({ data: null, error: error as Error, loading: false });
    }
  }

  private setState(state: ILoadable<IStatus>): void {
    this._state = state;
    this._changed.emit(state);
  }

  private _state: ILoadable<IStatus> = {
    data: null,
    error: null,
    loading: false
  };
  private _pending: Promise<void> | null = null;
  private _changed = new Signal<this, ILoadable<IStatus>>(this);
}
