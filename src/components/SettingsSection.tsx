import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';

import { describeAuth } from '../describe';
import { changedValues, EditableKey, formValues } from '../models/config';
import { IConfigAnswer, IConfigValues, ILoadable } from '../tokens';
import { ErrorMessage } from './ErrorMessage';
import { Field } from './Field';

/** The Settings section: store, authentication, pack folder and engine, saved by the server. */
export function SettingsSection(props: {
  state: ILoadable<IConfigAnswer>;
  trans: TranslationBundle;
  save: (values: IConfigValues) => Promise<void>;
}): JSX.Element {
  const { state, trans } = props;
  if (state.error && !state.data) {
    return <ErrorMessage error={state.error} trans={trans} />;
  }
  if (!state.data) {
    return <div className="jp-CondaPacks-message">{trans.__('Loading…')}</div>;
  }
  return <SettingsForm answer={state.data} trans={trans} save={props.save} />;
}

function SettingsForm(props: {
  answer: IConfigAnswer;
  trans: TranslationBundle;
  save: (values: IConfigValues) => Promise<void>;
}): JSX.Element {
  const { answer, trans } = props;
  const initial = React.useMemo(() => formValues(answer), [answer]);
  const [values, setValues] = React.useState(initial);
  const [error, setError] = React.useState<unknown>(null);
  const [saved, setSaved] = React.useState(false);
  const [saving, setSaving] = React.useState(false);
  React.useEffect(() => setValues(initial), [initial]);

  const set = (key: EditableKey, value: string) => {
    setValues({ ...values, [key]: value });
    setSaved(false);
  };
  const text = (key: EditableKey, label: string, placeholder = '') => (
    <Field id={`jp-CondaPacks-setting-${key}`} label={label}>
      <InputGroup
        aria-label={label}
        placeholder={placeholder}
        value={values[key]}
        onChange={event => set(key, event.target.value)}
      />
    </Field>
  );
  const changes = changedValues(initial, values);
  const onSubmit = async (event: React.FormEvent) => {
    event.preventDefault();
    setSaving(true);
    try {
      await props.save(changes);
      setError(null);
      setSaved(true);
    } catch (failure) {
      setError(failure);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      className="jp-CondaPacks-form"
      aria-label={trans.__('Settings')}
      onSubmit={onSubmit}
      noValidate
    >
      {text(
        'conda_pack_os_prefix',
        trans.__('Store (prefix URI)'),
        'oci://bucket@namespace/prefix'
      )}
      <Field id="jp-CondaPacks-setting-auth" label={trans.__('Authentication')}>
        <HTMLSelect
          aria-label={trans.__('Authentication')}
          value={values.auth}
          onChange={event => set('auth', event.target.value)}
          options={[
            { value: '', label: trans.__('Default') },
            ...answer.choices.auth.map(mode => ({
              value: mode,
              label: describeAuth(mode, trans)
            }))
          ]}
        />
      </Field>
      {text('oci_config', trans.__('OCI config file'), '~/.oci/config')}
      {text('oci_profile', trans.__('OCI profile'), 'DEFAULT')}
      {text('os_endpoint', trans.__('Object Storage endpoint'), 'https://…')}
      {text('conda_pack_folder', trans.__('Pack folder'), '~/conda')}
      <Field id="jp-CondaPacks-setting-engine" label={trans.__('Engine')}>
        <HTMLSelect
          aria-label={trans.__('Engine')}
          value={values.engine}
          onChange={event => set('engine', event.target.value)}
          options={[
            { value: '', label: trans.__('Default') },
            ...answer.choices.engine.map(engine => ({
              value: engine,
              label: engine
            }))
          ]}
        />
      </Field>
      <div className="jp-CondaPacks-fieldNote">
        {trans.__('Saved in %1', answer.settings.config_path ?? '')}
      </div>
      {error ? <ErrorMessage error={error} trans={trans} /> : null}
      {saved && (
        <div className="jp-CondaPacks-message" role="status">
          {trans.__('Settings saved.')}
        </div>
      )}
      <div className="jp-CondaPacks-actions">
        <Button
          type="submit"
          aria-label={trans.__('Save settings')}
          disabled={saving || Object.keys(changes).length === 0}
        >
          {trans.__('Save')}
        </Button>
        <Button
          type="button"
          minimal
          aria-label={trans.__('Undo changes')}
          disabled={Object.keys(changes).length === 0}
          onClick={() => {
            setValues(initial);
            setError(null);
          }}
        >
          {trans.__('Undo')}
        </Button>
      </div>
    </form>
  );
}
