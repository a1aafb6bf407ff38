import { ISignal, Signal } from '@lumino/signaling';

import { ILoadable } from '../types';

/**
 * One answer of the server (status, service packs...) with the loading and error state
 * views show. Views listen to `changed`.
 */
export class LoadableModel<T> {
  constructor(private readonly fetcher: () => Promise<T>) {}

  /** The current state; a new object after every change. */
  get state(): ILoadable<T> {
    return this._state;
  }

  /** Emitted whenever `state` changes. */
  get changed(): ISignal<this, ILoadable<T>> {
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

  private setState(state: ILoadable<T>): void {
    this._state = state;
    this._changed.emit(state);
  }

  private _state: ILoadable<T> = { data: null, error: null, loading: false };
  private _pending: Promise<void> | null = null;
  private _changed = new Signal<this, ILoadable<T>>(this);
}
