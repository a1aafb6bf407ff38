/** The settings the Settings dialog edits, the edits themselves, and the model behind them. */
import { ISignal, Signal } from '@lumino/signaling';

import { IConfigAnswer, IConfigValues, ILoadable } from '../types';

/** The settings the Settings dialog shows, in order. None of them is a secret. */
export const EDITABLE_KEYS = [
  'conda_pack_os_prefix',
  'auth',
  'oci_config',
  'oci_profile',
  'os_endpoint',
  'conda_pack_folder',
  'engine'
] as const;

export type EditableKey = (typeof EDITABLE_KEYS)[number];

/** The form's values from the server's answer ('' for unset). */
export function formValues(answer: IConfigAnswer): Record<EditableKey, string> {
  const values = {} as Record<EditableKey, string>;
  for (const key of EDITABLE_KEYS) {
    const value = answer.settings[key];
    values[key] = value === null || value === undefined ? '' : String(value);
  }
  return values;
}

/** Only the settings the user changed; '' asks the server to go back to the default. */
export function changedValues(
  before: Record<EditableKey, string>,
  after: Record<EditableKey, string>
): IConfigValues {
  const changed: IConfigValues = {};
  for (const key of EDITABLE_KEYS) {
    if (before[key] !== after[key]) {
      changed[key] = after[key].trim();
    }
  }
  return changed;
}

/** The settings in effect (GET config), saved with PUT config. */
export class ConfigModel {
  constructor(
    private readonly server: {
      config: () => Promise<IConfigAnswer>;
      saveConfig: (values: IConfigValues) => Promise<IConfigAnswer>;
    }
  ) {}

  get state(): ILoadable<IConfigAnswer> {
    return this._state;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  async refresh(): Promise<void> {
    try {
      this._state = {
        data: await this.server.config(),
        error: null,
        loading: false
      };
    } catch (error) {
      this._state = { data: null, error: error as Error, loading: false };
    }
    this._changed.emit();
  }

  /** Save changed settings; rejects with the server's message (400) when refused. */
  async save(values: IConfigValues): Promise<void> {
    const data = await this.server.saveConfig(values);
    this._state = { data, error: null, loading: false };
    this._changed.emit();
  }

  private _state: ILoadable<IConfigAnswer> = {
    data: null,
    error: null,
    loading: false
  };
  private _changed = new Signal<this, void>(this);
}

/**
 * The edits of the Settings dialog: the values as loaded, as edited, and the outcome of
 * the last save. Only the changed keys are sent; a refused save keeps the edits and the
 * server's message so the user can correct them.
 */
export class SettingsDraft {
  constructor(
    readonly answer: IConfigAnswer,
    private readonly saveValues: (values: IConfigValues) => Promise<void>
  ) {
    this._initial = formValues(answer);
    this._values = this._initial;
  }

  get values(): Record<EditableKey, string> {
    return this._values;
  }

  /** The keys the user changed, with their new values. */
  get changes(): IConfigValues {
    return changedValues(this._initial, this._values);
  }

  /** Why the last save failed (the server's error), or null. */
  get error(): unknown {
    return this._error;
  }

  get saving(): boolean {
    return this._saving;
  }

  /** Emitted after every change of values, error or saving. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  set(key: EditableKey, value: string): void {
    this._values = { ...this._values, [key]: value };
    this._changed.emit();
  }

  /**
   * Send the changed keys. Resolves true when saved (or nothing changed), false when the
   * server refused them: `error` then holds its message.
   */
  async save(): Promise<boolean> {
    const changes = this.changes;
    if (this._saving) {
      return false;
    }
    if (Object.keys(changes).length === 0) {
      return true;
    }
    this._saving = true;
    this._error = null;
    this._changed.emit();
    try {
      await this.saveValues(changes);
      this._initial = this._values;
      return true;
    } catch (error) {
      this._error = error;
      return false;
    } finally {
      this._saving = false;
      this._changed.emit();
    }
  }

  private _initial: Record<EditableKey, string>;
  private _values: Record<EditableKey, string>;
  private _error: unknown = null;
  private _saving = false;
  private _changed = new Signal<this, void>(this);
}
