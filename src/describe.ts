/**
 * Words for what the server reports: the texts the panel shows, kept apart from the views
 * so they can be tested without rendering.
 */
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

import { ApiError } from './request';
import { IBuilder } from './types';

/** A message for the user, with an optional next step. */
export interface IUserMessage {
  message: string;
  hint: string;
}

/** One line per builder: "rattler (embedded, 0.28.0)" or "conda (/opt/conda/bin/conda)". */
export function describeBuilder(
  builder: IBuilder,
  trans: TranslationBundle
): string {
  const details: string[] = [];
  if (builder.kind === 'embedded') {
    details.push(trans.__('embedded'));
  } else if (builder.kind) {
    details.push(builder.kind);
  }
  if (builder.version) {
    details.push(builder.version);
  }
  if (builder.path) {
    details.push(builder.path);
  }
  return details.length
    ? `${builder.name} (${details.join(', ')})`
    : builder.name;
}

/** The engine setting: `auto` means the first available builder is used. */
export function describeEngine(
  engine: string,
  builders: IBuilder[],
  trans: TranslationBundle
): string {
  if (engine === 'auto') {
    return builders.length
      ? trans.__('automatic (%1)', builders[0].name)
      : trans.__('automatic (no builder found)');
  }
  return engine;
}

/** Where packs are published: a folder store or OCI Object Storage. */
export function describeStore(
  storeUri: string,
  trans: TranslationBundle
): string {
  if (storeUri.startsWith('oci://')) {
    return trans.__('OCI Object Storage');
  }
  if (storeUri.startsWith('file://')) {
    return trans.__('Local folder');
  }
  return trans.__('Unknown store');
}

/** The OCI authentication mode in words. */
export function describeAuth(auth: string, trans: TranslationBundle): string {
  switch (auth) {
    case 'api_key':
      return trans.__('API key (OCI config file)');
    case 'resource_principal':
      return trans.__('Resource principal');
    case 'instance_principal':
      return trans.__('Instance principal');
    case 'security_token':
      return trans.__('Security token (session)');
    default:
      return auth;
  }
}

/** What to tell the user about a failed request, and what to do next. */
export function describeError(
  error: unknown,
  trans: TranslationBundle
): IUserMessage {
  if (error instanceof ApiError) {
    if (error.serverExtensionMissing) {
      return {
        message: trans.__(
          'The conda-pack-ext server extension is not installed or not enabled.'
        ),
        hint: trans.__(
          'Run: pip install conda-pack-ext, then restart JupyterLab.'
        )
      };
    }
    if (error.status === 403) {
      return {
        message: trans.__(
          'The Jupyter server refused the request (not logged in).'
        ),
        hint: trans.__('Reload the page and log in again.')
      };
    }
    return { message: error.message, hint: error.hint };
  }
  if (error instanceof ServerConnection.NetworkError) {
    return {
      message: trans.__('The Jupyter server cannot be reached.'),
      hint: trans.__('Check that JupyterLab is still running, then refresh.')
    };
  }
  return {
    message: error instanceof Error ? error.message : String(error),
    hint: ''
  };
}
