/** The settings the Settings section edits, and the keys it offers. */
import { ISignal, Signal } from '@lumino/signaling';

import { api } from '../request';
import { IConfigAnswer, IConfigValues, ILoadable } from '../tokens';

/** The settings the Settings section shows, in order. */
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
    } = api
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
