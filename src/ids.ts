/** Identifiers of the extension: plugin, panel, commands, event schema, translations. */

/** The plugin and side panel identifiers. */
export const PLUGIN_ID = 'conda-pack-ext:plugin';
export const PANEL_ID = 'conda-pack-ext:panel';

/** Commands the extension registers. */
export namespace CommandIDs {
  export const openPanel = 'conda-pack-ext:open-panel';
  export const openExplorer = 'conda-pack-ext:open-explorer';
  export const create = 'conda-pack-ext:create';
  export const createFromFile = 'conda-pack-ext:create-from-file';
  export const refresh = 'conda-pack-ext:refresh';
  export const settings = 'conda-pack-ext:settings';
  export const activity = 'conda-pack-ext:activity';
}

/** The schema id of the job updates the server sends on its event bus. */
export const JOB_EVENT_SCHEMA =
  'https://events.jupyter.org/conda_pack_ext/job/v1';

/** The translation domain of the extension's strings. */
export const TRANSLATION_DOMAIN = 'conda_pack_ext';
