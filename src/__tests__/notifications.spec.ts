import { nullTranslator } from '@jupyterlab/translation';

import { IJobView } from '../models/jobs';
import {
  failureMessage,
  jobEndNotice,
  NOTICE_MAX_LENGTH
} from '../notifications';

const trans = nullTranslator.load('conda_pack_ext');

function job(changes: Partial<IJobView>): IJobView {
  return {
    id: 'j1',
    kind: 'create',
    params: { environment_file: 'env.yaml' },
    slug: 'myenv_v1_0',
    state: 'succeeded',
    phase: 'done',
    progress: { done: 0, total: null, unit: '', rate: null },
    log: [],
    ...changes
  };
}

describe('jobEndNotice', () => {
  it('says a job is done, and offers a notebook on the kernel an install added', () => {
    expect(jobEndNotice(job({}), trans)).toEqual({
      type: 'success',
      message: 'Create myenv_v1_0: done',
      autoClose: 8000,
      kernel: null,
      showActivity: false
    });
    const install = jobEndNotice(
      job({ kind: 'install', result: { kernels: ['conda-pack-myenv_v1_0'] } }),
      trans
    );
    expect(install.message).toBe('Install myenv_v1_0: done');
    expect(install.kernel).toBe('conda-pack-myenv_v1_0');
    const uninstall = jobEndNotice(
      job({
        kind: 'uninstall',
        result: { kernels: ['conda-pack-myenv_v1_0'] }
      }),
      trans
    );
    expect(uninstall.message).toBe('Uninstall myenv_v1_0: done');
    expect(uninstall.kernel).toBeNull();
  });

  it("gives a failure's message and hint, kept until dismissed", () => {
    const notice = jobEndNotice(
      job({
        state: 'failed',
        error: {
          code: 'build_failed',
          message: 'cannot solve the environment: nothing provides no-such-pkg',
          hint: 'check the package names of the environment file'
        }
      }),
      trans
    );
    expect(notice).toEqual({
      type: 'error',
      message:
        'Create myenv_v1_0 failed: cannot solve the environment: nothing provides no-such-pkg\n' +
        'check the package names of the environment file',
      autoClose: false,
      kernel: null,
      showActivity: true
    });
    expect(
      jobEndNotice(job({ state: 'interrupted', error: null }), trans).message
    ).toBe('Create myenv_v1_0 failed');
  });

  it('shortens a long message so that the hint is never cut off', () => {
    const hint = 'relax or fix the versions named above';
    const message = failureMessage(
      'Create x_v1 failed',
      `the environment cannot be solved: ${'no candidates for pkg '.repeat(10)}`,
      hint
    );
    expect(message.length).toBeLessThanOrEqual(NOTICE_MAX_LENGTH);
    expect(message).toMatch(
      /^Create x_v1 failed: the environment cannot be solved: no candidates.*…\n/
    );
    expect(message.endsWith(`\n${hint}`)).toBe(true);
    // Short ones are left whole; a failure without details is just the title.
    expect(failureMessage('Pack y failed', 'disk full', '')).toBe(
      'Pack y failed: disk full'
    );
    expect(failureMessage('Pack y failed', '', '')).toBe('Pack y failed');
  });

  it('says a cancelled job was cancelled', () => {
    expect(
      jobEndNotice(job({ kind: 'publish', state: 'cancelled' }), trans)
    ).toMatchObject({
      type: 'info',
      message: 'Publish myenv_v1_0: cancelled',
      showActivity: false
    });
  });
});
