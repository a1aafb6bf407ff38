import { nullTranslator } from '@jupyterlab/translation';

import {
  applyUpdate,
  describeJob,
  describeProgress,
  formatBytes,
  formatDuration,
  isActive,
  JobsModel,
  progressFraction,
  timeLeft
} from '../models/jobs';
import { IJob } from '../types';

const trans = nullTranslator.load('conda_pack_ext');

function job(changes: Partial<IJob> = {}): IJob {
  return {
    id: 'j1',
    kind: 'create',
    slug: 'myenv_v1_0',
    state: 'running',
    phase: 'downloading',
    progress: { done: 0, total: null, unit: '', rate: null },
    created: '2025-01-01T10:00:00Z',
    ...changes
  };
}

describe('progress arithmetic', () => {
  const downloading = { done: 25e6, total: 100e6, unit: 'bytes', rate: 5e6 };

  it('gives the share done, clamped, or null without a total', () => {
    expect(progressFraction(downloading)).toBe(0.25);
    expect(progressFraction({ ...downloading, done: 120e6 })).toBe(1);
    expect(progressFraction({ ...downloading, total: null })).toBeNull();
  });

  it('tells the time left from the rate', () => {
    expect(timeLeft(downloading)).toBe(15);
    expect(timeLeft({ ...downloading, rate: 0 })).toBeNull();
    expect(timeLeft({ ...downloading, total: null })).toBeNull();
  });

  it('writes sizes, durations and the whole line', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(33_000_000)).toBe('33.0 MB');
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3720)).toBe('1 h 02 min');
    expect(describeProgress(downloading, trans)).toBe(
      '25.0 MB of 100.0 MB · 5.0 MB/s · 15 s left'
    );
    expect(
      describeProgress(
        { done: 3, total: 12, unit: 'packages', rate: null },
        trans
      )
    ).toBe('3 packages of 12 packages');
    expect(
      describeProgress({ done: 0, total: null, unit: '', rate: null }, trans)
    ).toBe('');
  });
});

describe('job state', () => {
  it('knows which states may still change', () => {
    expect(isActive('queued')).toBe(true);
    expect(isActive('running')).toBe(true);
    for (const state of [
      'succeeded',
      'failed',
      'cancelled',
      'interrupted'
    ] as const) {
      expect(isActive(state)).toBe(false);
    }
  });

  it('names a job by its kind and slug', () => {
    expect(describeJob(job(), trans)).toBe('Create myenv_v1_0');
    expect(
      describeJob(
        job({ kind: 'install', slug: null, params: { slug: 'x_v1' } }),
        trans
      )
    ).toBe('Install x_v1');
  });

  it('appends log lines that continue the log and spots a gap', () => {
    let { job: current, missingLog } = applyUpdate(
      undefined,
      job({ log: ['a', 'b'], log_offset: 0, log_total: 2 })
    );
    expect(current.log).toEqual(['a', 'b']);
    expect(missingLog).toBe(false);
    ({ job: current, missingLog } = applyUpdate(
      current,
      job({ log: ['c'], log_offset: 2, log_total: 3, phase: 'linking' })
    ));
    expect(current.log).toEqual(['a', 'b', 'c']);
    expect(current.phase).toBe('linking');
    // Lines 3 and 4 were missed: they are not made up, the model fetches them.
    ({ job: current, missingLog } = applyUpdate(
      current,
      job({ log: ['f'], log_offset: 5, log_total: 6 })
    ));
    expect(current.log).toEqual(['a', 'b', 'c']);
    expect(missingLog).toBe(true);
  });
});

describe('JobsModel', () => {
  function fakeServer() {
    const server = {
      jobs: jest.fn(async (): Promise<IJob[]> => []),
      job: jest.fn(async (id: string, offset: number): Promise<IJob> =>
        job({
          id,
          log: ['x', 'y', 'z'].slice(offset),
          log_offset: offset,
          log_total: 3
        })
      ),
      submitJob: jest.fn(async (): Promise<IJob> => job({ state: 'queued' })),
      cancelJob: jest.fn(async (): Promise<IJob> =>
        job({ cancel_requested: true })
      )
    };
    return server;
  }

  it('follows a job from submission through events to its end, once', async () => {
    const model = new JobsModel(fakeServer());
    const ended: string[] = [];
    model.jobEnded.connect((_, j) => ended.push(`${j.id}:${j.state}`));
    await model.submit('create', { environment_file: 'env.yaml' });
    expect(model.jobs.map(j => j.state)).toEqual(['queued']);
    model.handleEvent(job({ log: ['x'], log_offset: 0, log_total: 1 }));
    model.handleEvent(
      job({ state: 'succeeded', log: [], log_offset: 1, log_total: 1 })
    );
    model.handleEvent(
      job({ state: 'succeeded', log: [], log_offset: 1, log_total: 1 })
    );
    expect(ended).toEqual(['j1:succeeded']);
    expect(model.get('j1')?.log).toEqual(['x']);
    model.dispose();
  });

  it('ignores a stale running update after the end, and notifies once', async () => {
    const model = new JobsModel(fakeServer());
    const ended: string[] = [];
    model.jobEnded.connect((_, j) => ended.push(`${j.id}:${j.state}`));
    model.handleEvent(job({ log: ['x'], log_offset: 0, log_total: 1 }));
    model.handleEvent(
      job({ state: 'failed', log: [], log_offset: 1, log_total: 1 })
    );
    // an answer sent while the job still ran, arriving after its end
    model.handleEvent(job({ log: [], log_offset: 1, log_total: 1 }));
    model.handleEvent(
      job({ state: 'failed', log: [], log_offset: 1, log_total: 1 })
    );
    expect(ended).toEqual(['j1:failed']);
    expect(model.get('j1')?.state).toEqual('failed');
    model.dispose();
  });

  it('fetches the log from where it stopped', async () => {
    const server = fakeServer();
    const model = new JobsModel(server);
    model.handleEvent(job({ log: ['x'], log_offset: 0, log_total: 1 }));
    await model.fetchLog('j1');
    expect(server.job).toHaveBeenLastCalledWith('j1', 1);
    expect(model.get('j1')?.log).toEqual(['x', 'y', 'z']);
    model.dispose();
  });

  it('keeps the history the server lists, newest first, without notifying', async () => {
    const server = fakeServer();
    server.jobs.mockResolvedValue([
      job({ id: 'old', state: 'failed', created: '2025-01-01T09:00:00Z' }),
      job({ id: 'new', state: 'succeeded', created: '2025-01-01T11:00:00Z' })
    ]);
    const model = new JobsModel(server);
    const ended = jest.fn();
    model.jobEnded.connect(ended);
    await model.load();
    expect(model.jobs.map(j => j.id)).toEqual(['new', 'old']);
    expect(ended).not.toHaveBeenCalled();
    model.dispose();
  });
});
