import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';

import { describeAuth } from '../describe';
import { EditableKey, SettingsDraft } from '../models/config';
import { ErrorMessage } from './ErrorMessage';
import { Field } from './Field';

/**
 * The Settings form: store, authentication, pack folder and engine. It edits a draft; the
 * dialog around it saves the draft, and shows the server's refusal here.
 */
export function SettingsForm(props: {
  draft: SettingsDraft;
  trans: TranslationBundle;
}): JSX.Element {
  const { draft, trans } = props;
  const [, rerender] = React.useReducer((count: number) => count + 1, 0);
  React.useEffect(() => {
    draft.changed.connect(rerender);
    return () => {
      draft.changed.disconnect(rerender);
    };
  }, [draft]);
  const { values, answer } = draft;

  const text = (key: EditableKey, label: string, placeholder = '') => (
    <Field id={`jp-CondaPacks-setting-${key}`} label={label}>
      <InputGroup
        aria-label={label}
        placeholder={placeholder}
        value={values[key]}
        onChange={event => draft.set(key, event.target.value)}
      />
    </Field>
  );
  const select = (key: EditableKey, label: string, choices: string[]) => (
    <Field id={`jp-CondaPacks-setting-${key}`} label={label}>
      <HTMLSelect
        aria-label={label}
        value={values[key]}
        onChange={event => draft.set(key, event.target.value)}
        options={[
          { value: '', label: trans.__('Default') },
          ...choices.map(choice => ({
            value: choice,
            label: key === 'auth' ? describeAuth(choice, trans) : choice
          }))
        ]}
      />
    </Field>
  );

  return (
    <form
      className="jp-CondaPacks-form jp-CondaPacks-settings"
      aria-label={trans.__('Settings')}
      aria-busy={draft.saving}
      // The dialog's Save button (and Enter in a field) saves.
      onSubmit={event => event.preventDefault()}
      noValidate
    >
      {text(
        'conda_pack_os_prefix',
        trans.__('Store (prefix URI)'),
        'oci://bucket@namespace/prefix'
      )}
      {select('auth', trans.__('Authentication'), answer.choices.auth)}
      {text('oci_config', trans.__('OCI config file'), '~/.oci/config')}
      {text('oci_profile', trans.__('OCI profile'), 'DEFAULT')}
      {text('os_endpoint', trans.__('Object Storage endpoint'), 'https://…')}
      {text('conda_pack_folder', trans.__('Pack folder'), '~/conda')}
      {select('engine', trans.__('Engine'), answer.choices.engine)}
      <div className="jp-CondaPacks-fieldNote">
        {trans.__(
          'Saved in %1, the file ADS reads. Empty fields use the default.',
          answer.settings.config_path ?? ''
        )}
      </div>
      {draft.error ? <ErrorMessage error={draft.error} trans={trans} /> : null}
    </form>
  );
}
