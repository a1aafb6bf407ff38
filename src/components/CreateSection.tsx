import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  effectiveIdentity,
  ICreateForm,
  jobRequest,
  parseEnvironment,
  validateForm
} from '../models/createForm';
import { JobKind, JobParams } from '../types';
import { ErrorMessage } from './ErrorMessage';
import { Field } from './Field';

export interface ICreateSectionProps {
  initialForm: ICreateForm;
  /** The engines the server offers (from GET config), `auto` first. */
  engines: string[];
  trans: TranslationBundle;
  /** Keeps the form while the user visits other sections. */
  onFormChange: (form: ICreateForm) => void;
  /** The path of the file selected in the file browser, if any. */
  selectedFile: () => string | null;
  /** Read a file of the server's root folder. */
  readFile: (path: string) => Promise<string>;
  /** Start the job; rejects with the server's error. */
  submit: (kind: JobKind, params: JobParams) => Promise<void>;
}

/** The Create section: an environment file (chosen or pasted) and the pack's identity. */
export function CreateSection(props: ICreateSectionProps): JSX.Element {
  const { trans } = props;
  const [form, setFormState] = React.useState(props.initialForm);
  const [touched, setTouched] = React.useState(false);
  const [serverError, setServerError] = React.useState<unknown>(null);
  const [sending, setSending] = React.useState(false);
  const [started, setStarted] = React.useState<string | null>(null);

  const updateForm = (changes: Partial<ICreateForm>) =>
    setFormState(previous => {
      const next = { ...previous, ...changes };
      props.onFormChange(next);
      return next;
    });
  // An edit by the user makes earlier outcomes stale; reading the file does not.
  const setForm = (changes: Partial<ICreateForm>) => {
    updateForm(changes);
    setServerError(null);
    setStarted(null);
  };

  // Read the chosen file (shortly after the path stops changing) to check and preview it.
  React.useEffect(() => {
    const path = form.path.trim();
    if (form.source !== 'file' || !/\.ya?ml$/i.test(path)) {
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      props.readFile(path).then(
        text => current && updateForm({ fileText: text }),
        () => current && updateForm({ fileText: null })
      );
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [form.path, form.source]);

  const problems = validateForm(form, trans);
  const sourceText = form.source === 'file' ? form.fileText : form.text;
  const facts = sourceText ? parseEnvironment(sourceText, trans).facts : null;
  const identity = effectiveIdentity(form, facts);
  const show = (message?: string) =>
    touched || (form.source === 'file' ? form.fileText !== null : form.text)
      ? message
      : undefined;

  const onSubmit = async (event: React.FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (Object.keys(problems).length) {
      return;
    }
    const { kind, params } = jobRequest(form);
    setSending(true);
    try {
      await props.submit(kind, params);
      setStarted(identity.slug);
      setServerError(null);
    } catch (error) {
      setServerError(error);
    } finally {
      setSending(false);
    }
  };

  const useSelected = () => {
    const path = props.selectedFile();
    if (path) {
      setForm({ source: 'file', path, fileText: null });
    }
  };

  return (
    <section aria-label={trans.__('Create')}>
      <form
        className="jp-CondaPacks-form"
        aria-label={trans.__('Create a conda pack')}
        onSubmit={onSubmit}
        noValidate
      >
        <div
          className="jp-CondaPacks-choice"
          role="radiogroup"
          aria-label={trans.__('Environment source')}
        >
          <label>
            <input
              type="radio"
              name="jp-CondaPacks-source"
              checked={form.source === 'file'}
              onChange={() => setForm({ source: 'file' })}
            />
            {trans.__('Environment file')}
          </label>
          <label>
            <input
              type="radio"
              name="jp-CondaPacks-source"
              checked={form.source === 'text'}
              onChange={() => setForm({ source: 'text' })}
            />
            {trans.__('Paste YAML')}
          </label>
        </div>
        {form.source === 'file' ? (
          <Field
            id="jp-CondaPacks-create-path"
            label={trans.__('Environment file')}
            problem={show(problems.environment)}
          >
            {control => (
              <div className="jp-CondaPacks-inline">
                <InputGroup
                  {...control}
                  aria-label={trans.__('Environment file path')}
                  placeholder="envs/environment.yaml"
                  value={form.path}
                  onChange={event =>
                    setForm({ path: event.target.value, fileText: null })
                  }
                />
                <Button
                  small
                  type="button"
                  aria-label={trans.__(
                    'Use the file selected in the file browser'
                  )}
                  title={trans.__('Use the file selected in the file browser')}
                  onClick={useSelected}
                >
                  {trans.__('Use selected file')}
                </Button>
              </div>
            )}
          </Field>
        ) : (
          <Field
            id="jp-CondaPacks-create-text"
            label={trans.__('Environment YAML')}
            problem={show(problems.environment)}
          >
            <textarea
              className="jp-CondaPacks-yaml"
              aria-label={trans.__('Environment YAML')}
              rows={8}
              spellCheck={false}
              placeholder={
                'name: myenv\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11'
              }
              value={form.text}
              onChange={event => setForm({ text: event.target.value })}
            />
          </Field>
        )}
        <Field
          id="jp-CondaPacks-create-name"
          label={trans.__('Name')}
          problem={show(problems.name)}
        >
          <InputGroup
            aria-label={trans.__('Pack name')}
            placeholder={facts?.manifestName || facts?.name || ''}
            value={form.name}
            onChange={event => setForm({ name: event.target.value })}
          />
        </Field>
        <Field id="jp-CondaPacks-create-version" label={trans.__('Version')}>
          <InputGroup
            aria-label={trans.__('Pack version')}
            placeholder="1.0"
            value={form.version}
            onChange={event => setForm({ version: event.target.value })}
          />
        </Field>
        <div
          className="jp-CondaPacks-slug"
          role="status"
          aria-label={trans.__('Slug')}
        >
          <span className="jp-CondaPacks-slugLabel">{trans.__('Slug')}</span>
          <code>{identity.slug || '—'}</code>
          {problems.slug && (
            <div className="jp-CondaPacks-fieldProblem" role="alert">
              {problems.slug}
            </div>
          )}
        </div>
        <Field id="jp-CondaPacks-create-engine" label={trans.__('Engine')}>
          <HTMLSelect
            aria-label={trans.__('Build engine')}
            value={form.engine}
            onChange={event => setForm({ engine: event.target.value })}
            options={[
              { value: '', label: trans.__('As configured') },
              ...props.engines.map(engine => ({ value: engine, label: engine }))
            ]}
          />
        </Field>
        <label className="jp-CondaPacks-check">
          <input
            type="checkbox"
            aria-label={trans.__('GPU pack')}
            checked={form.gpu}
            onChange={event => setForm({ gpu: event.target.checked })}
          />
          {trans.__('GPU pack')}
        </label>
        <label className="jp-CondaPacks-check">
          <input
            type="checkbox"
            aria-label={trans.__('Publish when built')}
            checked={form.publish}
            onChange={event => setForm({ publish: event.target.checked })}
          />
          {trans.__('Publish when built')}
        </label>
        {serverError ? (
          <ErrorMessage error={serverError} trans={trans} />
        ) : null}
        {started && (
          <div className="jp-CondaPacks-message" role="status">
            {trans.__('Started: follow %1 in the Activity tab.', started)}
          </div>
        )}
        <div className="jp-CondaPacks-actions">
          <Button
            type="submit"
            aria-label={
              form.publish
                ? trans.__('Create and publish')
                : trans.__('Create pack')
            }
            disabled={sending}
          >
            {form.publish
              ? trans.__('Create and publish')
              : trans.__('Create pack')}
          </Button>
        </div>
      </form>
    </section>
  );
}
