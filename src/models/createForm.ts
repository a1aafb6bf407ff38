/**
 * The Create form's rules as pure functions: parsing the environment file, the slug ADS
 * would give the pack, and what to tell the user before anything is sent to the server.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { isMap, isSeq, parseDocument } from 'yaml';

import { JobKind, JobParams } from '../types';

/** What the user entered in the Create form. */
export interface ICreateForm {
  /** `file`: an environment file of the server's root folder; `text`: pasted YAML. */
  source: 'file' | 'text';
  path: string;
  /** The chosen file's text once read (null until then, or when it cannot be read). */
  fileText: string | null;
  text: string;
  name: string;
  version: string;
  gpu: boolean;
  engine: string;
  publish: boolean;
}

export const EMPTY_FORM: ICreateForm = {
  source: 'file',
  path: '',
  fileText: null,
  text: '',
  name: '',
  version: '1.0',
  gpu: false,
  engine: '',
  publish: false
};

/** A parse error with its place in the file (1-based), when known. */
export interface IYamlProblem {
  message: string;
  line: number | null;
  column: number | null;
}

/** The parts of an environment file the form uses. */
export interface IEnvironmentFacts {
  name: string;
  manifestName: string;
  manifestSlug: string;
  manifestVersion: string;
}

/**
 * Parse an environment file's text. Answers the facts the form uses, or the first
 * problem with its line and column.
 */
export function parseEnvironment(
  text: string,
  trans: TranslationBundle
): { facts: IEnvironmentFacts | null; problem: IYamlProblem | null } {
  const document = parseDocument(text);
  if (document.errors.length) {
    const error = document.errors[0];
    const place = error.linePos?.[0];
    const message = error.message
      .split('\n')[0]
      .replace(/ at line \d+, column \d+:?$/, '');
    return {
      facts: null,
      problem: {
        message: place
          ? trans.__('Line %1, column %2: %3', place.line, place.col, message)
          : message,
        line: place?.line ?? null,
        column: place?.col ?? null
      }
    };
  }
  const root = document.contents;
  if (!isMap(root)) {
    return {
      facts: null,
      problem: {
        message: trans.__(
          'An environment file is a mapping with channels and dependencies.'
        ),
        line: null,
        column: null
      }
    };
  }
  if (!isSeq(root.get('dependencies'))) {
    return {
      facts: null,
      problem: {
        message: trans.__('The environment file has no dependencies list.'),
        line: null,
        column: null
      }
    };
  }
  const data = document.toJS() as Record<string, any>;
  const manifest =
    data.manifest && typeof data.manifest === 'object' ? data.manifest : {};
  return {
    facts: {
      name: String(data.name ?? ''),
      manifestName: String(manifest.name ?? ''),
      manifestSlug: String(manifest.slug ?? ''),
      manifestVersion: String(manifest.version ?? '')
    },
    problem: null
  };
}

/**
 * ADS's slug rule: `<name>_v<version>` with ASCII spaces removed, `.` replaced by `_`,
 * lower-cased (`My Env` + `1.0` -> `myenv_v1_0`).
 */
export function slugFor(name: string, version: string): string {
  return `${name}_v${version}`
    .replace(/ /g, '')
    .replace(/\./g, '_')
    .toLowerCase();
}

/** What is wrong with a slug (it names a folder and an object), or null. */
export function slugProblem(
  slug: string,
  trans: TranslationBundle
): string | null {
  if (!slug) {
    return trans.__('The slug is empty: give a name.');
  }
  if (slug.includes('/') || slug.includes('..') || slug.startsWith('.')) {
    return trans.__(
      'The slug "%1" is not a safe folder name (no "/", "..", or leading ".").',
      slug
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(slug)) {
    return trans.__('The slug contains control characters.');
  }
  const refused = slug.match(/[@#$%^&*]/);
  if (refused) {
    return trans.__(
      'The slug "%1" contains "%2", which ADS refuses (no @#$%^&*).',
      slug,
      refused[0]
    );
  }
  return null;
}

/** The name, version and slug the pack will get, as the server computes them. */
export function effectiveIdentity(
  form: ICreateForm,
  facts: IEnvironmentFacts | null
): { name: string; version: string; slug: string } {
  const name = form.name.trim() || facts?.manifestName || facts?.name || '';
  const version = form.version.trim() || facts?.manifestVersion || '1.0';
  const slug = facts?.manifestSlug || (name ? slugFor(name, version) : '');
  return { name, version, slug };
}

/** Messages per field; empty when the form can be sent. */
export interface IFormProblems {
  environment?: string;
  name?: string;
  slug?: string;
}

/** Everything wrong with the form before it is sent. */
export function validateForm(
  form: ICreateForm,
  trans: TranslationBundle
): IFormProblems {
  const problems: IFormProblems = {};
  let facts: IEnvironmentFacts | null = null;
  if (form.source === 'file') {
    if (!form.path.trim()) {
      problems.environment = trans.__('Choose an environment file.');
    } else if (!/\.ya?ml$/i.test(form.path.trim())) {
      problems.environment = trans.__(
        'Choose a .yml or .yaml environment file.'
      );
    } else if (form.fileText !== null) {
      const parsed = parseEnvironment(form.fileText, trans);
      facts = parsed.facts;
      if (parsed.problem) {
        problems.environment = parsed.problem.message;
      }
    }
  } else {
    if (!form.text.trim()) {
      problems.environment = trans.__('Paste an environment file.');
    } else {
      const parsed = parseEnvironment(form.text, trans);
      facts = parsed.facts;
      if (parsed.problem) {
        problems.environment = parsed.problem.message;
      }
    }
  }
  const identity = effectiveIdentity(form, facts);
  if (!identity.name && !problems.environment) {
    problems.name = trans.__('Give the pack a name.');
  } else if (/[/\\]/.test(identity.name)) {
    problems.name = trans.__('The name cannot contain "/" or "\\".');
  }
  if (identity.slug && !problems.name) {
    const problem = slugProblem(identity.slug, trans);
    if (problem) {
      problems.slug = problem;
    }
  }
  return problems;
}

/** The job the form starts: create, or publish (create + pack + publish in one job). */
export function jobRequest(form: ICreateForm): {
  kind: JobKind;
  params: JobParams;
} {
  const params: JobParams = {};
  if (form.source === 'file') {
    params.environment_file = form.path.trim();
  } else {
    params.environment = form.text;
  }
  if (form.name.trim()) {
    params.name = form.name.trim();
  }
  if (form.version.trim()) {
    params.version = form.version.trim();
  }
  if (form.gpu) {
    params.gpu = true;
  }
  if (form.engine) {
    params.engine = form.engine;
  }
  return { kind: form.publish ? 'publish' : 'create', params };
}
