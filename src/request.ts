import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IConfigAnswer,
  IConfigValues,
  IDiffAnswer,
  IEnvPackagesAnswer,
  IEnvsAnswer,
  IErrorBody,
  IJob,
  IPublishedAnswer,
  IServicePacksAnswer,
  IStatus,
  IUsageAnswer,
  JobKind,
  JobParams
} from './types';

/** The URL prefix of every route of the server part. */
export const API_NAMESPACE = 'conda-pack-ext';

/**
 * A failed call to the server part. `code`, `message` and `hint` come from the server's
 * JSON error body when it sent one.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string = 'error',
    readonly hint: string = ''
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * True when the route itself does not exist: a 404 without our JSON error body means the
   * server part is not installed or not enabled (our own "not found" errors carry a code).
   */
  get serverExtensionMissing(): boolean {
    return this.status === 404 && this.code === 'missing_server_extension';
  }
}

/** Build an ApiError from a failed response and its (possibly empty or non-JSON) body. */
export function errorFromResponse(status: number, body: unknown): ApiError {
  const json = (
    typeof body === 'object' && body !== null ? body : {}
  ) as IErrorBody;
  if (status === 404 && !json.code) {
    return new ApiError(
      status,
      'server extension missing',
      'missing_server_extension'
    );
  }
  const message =
    json.message ||
    (typeof body === 'string' && body) ||
    `request failed with status ${status}`;
  return new ApiError(status, message, json.code || 'error', json.hint || '');
}

/**
 * Call the server part of the extension.
 *
 * @param endPoint the route under /conda-pack-ext/, e.g. `status`
 * @param init the fetch options (method, body, ...)
 * @param serverSettings the connection to the server: the service manager's
 *        `serverSettings` in the app (base URL, token, XSRF), made from the page otherwise
 * @returns the decoded JSON answer
 * @throws ApiError when the server answers with an error status, and
 *         ServerConnection.NetworkError when the server cannot be reached
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const requestUrl = URLExt.join(
    serverSettings.baseUrl,
    API_NAMESPACE,
    endPoint
  );

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      requestUrl,
      init,
      serverSettings
    );
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }

  const text = await response.text();
  let body: unknown = text;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      // Tornado's own error pages are HTML: keep the text.
    }
  }
  if (!response.ok) {
    throw errorFromResponse(response.status, body);
  }
  return body as T;
}

/**
 * The routes the panel calls, one thin function each (see openapi.yaml), over one
 * connection to the server (the app's `serviceManager.serverSettings`).
 */
export function createApi(serverSettings?: ServerConnection.ISettings) {
  const call = <T>(endPoint: string, init: RequestInit = {}) =>
    requestAPI<T>(endPoint, init, serverSettings);
  return {
    /** GET status: builders, folders, store and auth. */
    status: (): Promise<IStatus> => call<IStatus>('status'),

    /** GET envs: the pack folder's environments and installed packs. */
    envs: (): Promise<IEnvsAnswer> => call<IEnvsAnswer>('envs'),

    /** GET published: the store's packs; `rescan` rebuilds the store's index first. */
    published: (rescan = false): Promise<IPublishedAnswer> =>
      call<IPublishedAnswer>(`published?rescan=${rescan ? 1 : 0}`),

    /** GET service-packs: Oracle's service packs of the user's region. */
    servicePacks: (): Promise<IServicePacksAnswer> =>
      call<IServicePacksAnswer>('service-packs'),

    /** GET usage: what to paste to use a pack in an OCI service (see usageQuery). */
    usage: (query: string): Promise<IUsageAnswer> =>
      call<IUsageAnswer>(`usage?${query}`),

    /** GET envs/<slug>/packages: the conda packages of an installed env. */
    envPackages: (slug: string): Promise<IEnvPackagesAnswer> =>
      call<IEnvPackagesAnswer>(`envs/${encodeURIComponent(slug)}/packages`),

    /** GET diff: the packages that differ between two packs (see diffQuery). */
    diff: (query: string): Promise<IDiffAnswer> =>
      call<IDiffAnswer>(`diff?${query}`),

    /** GET jobs: every job, newest first, without logs. */
    jobs: async (): Promise<IJob[]> =>
      (await call<{ jobs: IJob[] }>('jobs')).jobs,

    /** GET jobs/<id>: one job with its log lines from `logOffset` on. */
    job: (id: string, logOffset = 0): Promise<IJob> =>
      call<IJob>(`jobs/${encodeURIComponent(id)}?log_offset=${logOffset}`),

    /** POST jobs: start an operation; answers the queued job. */
    submitJob: (kind: JobKind, params: JobParams): Promise<IJob> =>
      call<IJob>('jobs', {
        method: 'POST',
        body: JSON.stringify({ kind, params })
      }),

    /** DELETE jobs/<id>: cancel a job. */
    cancelJob: (id: string): Promise<IJob> =>
      call<IJob>(`jobs/${encodeURIComponent(id)}`, { method: 'DELETE' }),

    /** GET config: the settings in effect. */
    config: (): Promise<IConfigAnswer> => call<IConfigAnswer>('config'),

    /** PUT config: change settings (the server validates them). */
    saveConfig: (values: IConfigValues): Promise<IConfigAnswer> =>
      call<IConfigAnswer>('config', {
        method: 'PUT',
        body: JSON.stringify(values)
      })
  };
}

/** The server's routes as the models call them. */
export type ServerApi = ReturnType<typeof createApi>;
