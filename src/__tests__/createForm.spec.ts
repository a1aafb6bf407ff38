import { nullTranslator } from '@jupyterlab/translation';

import {
  EMPTY_FORM,
  effectiveIdentity,
  jobRequest,
  parseEnvironment,
  slugFor,
  slugProblem,
  validateForm
} from '../models/createForm';

const trans = nullTranslator.load('conda_pack_ext');

describe('slugFor (ADS rule)', () => {
  it.each([
    ['My Env', '1.0', 'myenv_v1_0'],
    ['test Abc', '1', 'testabc_v1'],
    ['my-env', '2.1.3', 'my-env_v2_1_3'],
    ['Foo.Bar', '1', 'foo_bar_v1']
  ])('%s + %s -> %s', (name, version, slug) => {
    expect(slugFor(name, version)).toBe(slug);
  });
});

describe('slugProblem', () => {
  it('accepts ordinary slugs', () => {
    expect(slugProblem('myenv_v1_0', trans)).toBeNull();
  });

  it.each([
    ['a/b_v1', 'not a safe folder name'],
    ['.hidden_v1', 'not a safe folder name'],
    ['a..b_v1', 'not a safe folder name'],
    ['tab\there', 'control characters'],
    ['price$_v1', 'contains "$", which ADS refuses']
  ])('flags %j', (slug, words) => {
    expect(slugProblem(slug, trans)).toContain(words);
  });
});

describe('parseEnvironment', () => {
  it('reads the name and manifest of a good file', () => {
    const { facts, problem } = parseEnvironment(
      'name: base\nmanifest:\n  slug: custom_v7\n  name: Custom\ndependencies:\n  - python\n',
      trans
    );
    expect(problem).toBeNull();
    expect(facts).toEqual({
      name: 'base',
      manifestName: 'Custom',
      manifestSlug: 'custom_v7',
      manifestVersion: ''
    });
  });

  it('says where a parse error is', () => {
    const { problem } = parseEnvironment(
      'name: broken\ndependencies:\n  - python\n - cpe-testapp\n',
      trans
    );
    expect(problem?.line).toBe(4);
    expect(problem?.column).toBe(1);
    expect(problem?.message).toMatch(
      /^Line 4, column 1: A block sequence may not be used as an implicit map key$/
    );
  });

  it('wants a mapping with a dependencies list', () => {
    expect(parseEnvironment('- a\n- b\n', trans).problem?.message).toBe(
      'An environment file is a mapping with channels and dependencies.'
    );
    expect(parseEnvironment('name: x\n', trans).problem?.message).toBe(
      'The environment file has no dependencies list.'
    );
  });
});

describe('validateForm and jobRequest', () => {
  it('asks for a file, then for a name', () => {
    expect(validateForm(EMPTY_FORM, trans)).toEqual({
      environment: 'Choose an environment file.'
    });
    const form = {
      ...EMPTY_FORM,
      path: 'env.yaml',
      fileText: 'dependencies: [python]\n'
    };
    expect(validateForm(form, trans)).toEqual({
      name: 'Give the pack a name.'
    });
    expect(validateForm({ ...form, name: 'Bad@Name' }, trans).slug).toContain(
      'ADS refuses'
    );
    expect(validateForm({ ...form, name: 'Good' }, trans)).toEqual({});
  });

  it('uses the file name, or its manifest slug, for the slug preview', () => {
    const facts = parseEnvironment(
      'name: Data Env\ndependencies: []\n',
      trans
    ).facts;
    expect(effectiveIdentity({ ...EMPTY_FORM, version: '' }, facts).slug).toBe(
      'dataenv_v1_0'
    );
    const withSlug = parseEnvironment(
      'name: x\nmanifest: {slug: fixed_v3}\ndependencies: []\n',
      trans
    ).facts;
    expect(
      effectiveIdentity({ ...EMPTY_FORM, name: 'Other' }, withSlug).slug
    ).toBe('fixed_v3');
  });

  it('sends create, or publish when asked to publish once built', () => {
    const form = {
      ...EMPTY_FORM,
      path: 'envs/env.yaml',
      name: 'My Env',
      gpu: true
    };
    expect(jobRequest(form)).toEqual({
      kind: 'create',
      params: {
        environment_file: 'envs/env.yaml',
        name: 'My Env',
        version: '1.0',
        gpu: true
      }
    });
    expect(
      jobRequest({ ...form, publish: true, source: 'text', text: 'x' }).kind
    ).toBe('publish');
    expect(
      jobRequest({ ...form, source: 'text', text: 'dependencies: []' }).params
    ).toMatchObject({ environment: 'dependencies: []' });
  });
});
