/**
 * Shapes of the data exchanged with the server part under /conda-pack-ext/.
 * The server's answers are described in conda_pack_ext/server/handlers.py.
 */

/** The plugin and side panel identifiers. */
export const PLUGIN_ID = 'conda-pack-ext:plugin';
export const PANEL_ID = 'conda-pack-ext:panel';

/** Commands the extension registers. */
export namespace CommandIDs {
  export const openPanel = 'conda-pack-ext:open-panel';
}

/** The translation domain of the extension's strings. */
export const TRANSLATION_DOMAIN = 'conda_pack_ext';

/** A tool that can build a conda environment on the server's machine. */
export interface IBuilder {
  /** `rattler`, `conda`, `mamba`, `micromamba` or `container`. */
  name: string;
  /** `embedded` (ships with the extension) or `external` (found on the machine). */
  kind: string;
  /** Where an external tool lives; null for the embedded engine. */
  path?: string | null;
  version?: string;
}

/** GET /conda-pack-ext/status */
export interface IStatus {
  version: string;
  builders: IBuilder[];
  /** The engine setting in effect: `auto` or a builder's name. */
  engine: string;
  conda_pack_folder: string;
  /** `oci://bucket@namespace/prefix` or `file:///folder`. */
  store_uri: string;
  /** `api_key`, `resource_principal`, `instance_principal` or `security_token`. */
  auth: string;
  config_path: string;
}

/** The JSON body the server sends with an error. */
export interface IErrorBody {
  code?: string;
  message?: string;
  hint?: string;
}

/** The state the panel shows, held by a model. */
export interface ILoadable<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
}
