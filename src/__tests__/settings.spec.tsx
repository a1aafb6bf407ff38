import { nullTranslator } from '@jupyterlab/translation';
import { act, fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import { SettingsForm } from '../components/SettingsForm';
import {
  changedValues,
  ConfigModel,
  formValues,
  SettingsDraft
} from '../models/config';
import { errorFromResponse } from '../request';
import { IConfigAnswer, IConfigValues } from '../types';

const trans = nullTranslator.load('conda_pack_ext');

const ANSWER: IConfigAnswer = {
  settings: {
    conda_pack_folder: '/home/me/conda',
    conda_pack_os_prefix: 'file:///srv/packs',
    auth: 'api_key',
    oci_config: '~/.oci/config',
    oci_profile: 'DEFAULT',
    os_endpoint: null,
    engine: 'auto',
    config_path: '/home/me/.ads_ops/config.ini'
  },
  sources: {},
  choices: {
    auth: ['api_key', 'resource_principal'],
    engine: ['auto', 'rattler', 'conda']
  },
  keys: []
};

/** The server's answer to a refused PUT config. */
const REFUSAL = errorFromResponse(400, {
  code: 'invalid_input',
  message: "bad store prefix 's3://bucket'",
  hint: 'use oci://bucket@namespace/prefix or file:///absolute/folder'
});

describe('changedValues', () => {
  it('keeps only the keys the user changed, trimmed; empty means default', () => {
    const before = formValues(ANSWER);
    expect(before.os_endpoint).toBe('');
    expect(changedValues(before, before)).toEqual({});
    expect(
      changedValues(before, {
        ...before,
        conda_pack_os_prefix: ' oci://b@ns/p ',
        oci_profile: ''
      })
    ).toEqual({ conda_pack_os_prefix: 'oci://b@ns/p', oci_profile: '' });
  });
});

describe('SettingsDraft', () => {
  it('sends the changed keys only, and nothing when nothing changed', async () => {
    const save = jest.fn(async (_: IConfigValues) => undefined);
    const draft = new SettingsDraft(ANSWER, save);
    expect(await draft.save()).toBe(true);
    expect(save).not.toHaveBeenCalled();

    draft.set('engine', 'rattler');
    draft.set('oci_profile', 'DEFAULT'); // typed back to what it was
    expect(await draft.save()).toBe(true);
    expect(save).toHaveBeenCalledWith({ engine: 'rattler' });
    // Saved values are the new starting point.
    expect(draft.changes).toEqual({});
  });

  it("keeps the edits and the server's refusal", async () => {
    const draft = new SettingsDraft(ANSWER, async () => {
      throw REFUSAL;
    });
    draft.set('conda_pack_os_prefix', 's3://bucket');
    expect(await draft.save()).toBe(false);
    expect(draft.error).toBe(REFUSAL);
    expect(draft.saving).toBe(false);
    expect(draft.changes).toEqual({ conda_pack_os_prefix: 's3://bucket' });
  });

  it('saves through the config model, which then holds the new answer', async () => {
    const saved: IConfigAnswer = {
      ...ANSWER,
      settings: { ...ANSWER.settings, engine: 'conda' }
    };
    const server = {
      config: jest.fn(async () => ANSWER),
      saveConfig: jest.fn(async (_: IConfigValues) => saved)
    };
    const model = new ConfigModel(server);
    const draft = new SettingsDraft(ANSWER, values => model.save(values));
    draft.set('engine', 'conda');
    expect(await draft.save()).toBe(true);
    expect(server.saveConfig).toHaveBeenCalledWith({ engine: 'conda' });
    expect(model.state.data?.settings.engine).toBe('conda');
  });
});

describe('SettingsForm', () => {
  it('edits the draft and shows the server message of a refused save', async () => {
    const draft = new SettingsDraft(ANSWER, async () => {
      throw REFUSAL;
    });
    render(<SettingsForm draft={draft} trans={trans} />);
    const store = screen.getByRole('textbox', {
      name: 'Store (prefix URI)'
    }) as HTMLInputElement;
    expect(store.value).toBe('file:///srv/packs');
    expect(
      (screen.getByRole('combobox', { name: 'Engine' }) as HTMLSelectElement)
        .value
    ).toBe('auto');
    // No secret is ever asked for: only paths, names and modes.
    expect(document.querySelector('input[type="password"]')).toBeNull();

    fireEvent.change(store, { target: { value: 's3://bucket' } });
    expect(draft.changes).toEqual({ conda_pack_os_prefix: 's3://bucket' });
    expect(screen.queryByRole('alert')).toBeNull();

    await act(async () => {
      await draft.save();
    });
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toBe(
      "bad store prefix 's3://bucket'use oci://bucket@namespace/prefix or file:///absolute/folder"
    );
    // The edit stays for the user to correct.
    expect(store.value).toBe('s3://bucket');
  });
});
