import { Dialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ErrorMessage } from '../components/ErrorMessage';
import { SettingsForm } from '../components/SettingsForm';
import { ConfigModel, SettingsDraft } from '../models/config';

/** The index of the Save button among the dialog's buttons. */
const SAVE = 1;

/**
 * A dialog that saves before it closes: Save (its button, or Enter in a field) sends the
 * draft and closes only when the server accepted it; a refusal stays in the form.
 */
class SettingsDialog extends Dialog<void> {
  constructor(
    private readonly draft: SettingsDraft,
    options: Partial<Dialog.IOptions<void>>
  ) {
    super(options);
  }

  resolve(index?: number): void {
    if ((index ?? SAVE) !== SAVE) {
      super.resolve(index);
      return;
    }
    void this.draft.save().then(saved => {
      if (saved) {
        super.resolve(SAVE);
      }
    });
  }
}

/**
 * Show the Settings dialog with the settings in effect (read again first). Resolves when
 * it closes; `onSaved` runs after a save the server accepted.
 */
export async function showSettingsDialog(
  config: ConfigModel,
  trans: TranslationBundle,
  onSaved: () => void
): Promise<void> {
  await config.refresh();
  const title = trans.__('Conda Packs Settings');
  const answer = config.state.data;
  if (!answer) {
    const body = ReactWidget.create(
      <ErrorMessage error={config.state.error} trans={trans} />
    );
    await new Dialog({
      title,
      body,
      buttons: [Dialog.okButton({ label: trans.__('Close') })]
    }).launch();
    return;
  }
  const draft = new SettingsDraft(answer, values => config.save(values));
  const body = ReactWidget.create(<SettingsForm draft={draft} trans={trans} />);
  body.addClass('jp-CondaPacks-settingsBody');
  const dialog = new SettingsDialog(draft, {
    title,
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({
        label: trans.__('Save'),
        ariaLabel: trans.__('Save settings')
      })
    ],
    focusNodeSelector: 'input'
  });
  dialog.addClass('jp-CondaPacks-settingsDialog');
  const result = await dialog.launch();
  if (result.button.accept) {
    onSaved();
  }
}
