import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IConfigAnswer,
  IConfigValues,
  IEnvsAnswer,
  IErrorBody,
  IJob,
  IPublishedAnswer,
  JobKind,
  JobParams
} from './tokens';

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
 * @returns the decoded JSON answer
 * @throws ApiError when the server answers with an error status, and
 *         ServerConnection.NetworkError when the server cannot be reached
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const requestUrl = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(requestUrl, init, settings);
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

/** The routes the panel calls, one thin function each (see openapi.yaml). */
export namespace api {
  /** GET envs: the pack folder's environments and installed packs. */
  export function envs(): Promise<IEnvsAnswer> {
    return requestAPI<IEnvsAnswer>('envs');
  }

  /** GET published: the store's packs; `rescan` rebuilds the store's index first. */
  export function published(rescan = false): Promise<IPublishedAnswer> {
    return requestAPI<IPublishedAnswer>(`published?rescan=${rescan ? 1 : 0}`);
  }

  /** GET jobs: every job, newest first, without logs. */
  export async function jobs(): Promise<IJob[]> {
    return (await requestAPI<{ jobs: IJob[] }>('jobs')).jobs;
  }

  /** GET jobs/<id>: one job with its log lines from `logOffset` on. */
  export function job(id: string, logOffset = 0): Promise<IJob> {
    return requestAPI<IJob>(
      `jobs/${encodeURIComponent(id)}?log_offset=${logOffset}`
    );
  }

  /** POST jobs: start an operation; answers the queued job. */
  export function submitJob(kind: JobKind, params: JobParams): Promise<IJob> {
    return requestAPI<IJob>('jobs', {
      method: 'POST',
      body: JSON.stringify({ kind, params })
    });
  }

  /** DELETE jobs/<id>: cancel a job. */
  export function cancelJob(id: string): Promise<IJob> {
    return requestAPI<IJob>(`jobs/${encodeURIComponent(id)}`, {
      method: 'DELETE'
    });
  }

  /** GET config: the settings in effect. */
  export function config(): Promise<IConfigAnswer> {
    return requestAPI<IConfigAnswer>('config');
  }

  /** PUT config: change settings (the server validates them). */
  export function saveConfig(values: IConfigValues): Promise<IConfigAnswer> {
    return requestAPI<IConfigAnswer>('config', {
      method: 'PUT',
      body: JSON.stringify(values)
    });
  }
}
