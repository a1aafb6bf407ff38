/** The frontend settings of schema/plugin.json, read from JupyterLab's settings registry. */
import {
  EXPLORER_SOURCES,
  ExplorerSource,
  SORT_ORDERS,
  SortOrder
} from './explorer';

/** The settings the panel and the explorer use. */
export interface IFrontendSettings {
  /** The explorer's source when it opens. */
  explorerSource: ExplorerSource;
  /** The explorer's sort order when it opens. */
  explorerSort: SortOrder;
  /** Open the explorer when JupyterLab starts. */
  openExplorerAtStart: boolean;
  /** Ask before uninstalling. */
  confirmUninstall: boolean;
  /** Seconds between reads of the lists while they are shown; 0: never. */
  refreshInterval: number;
}

/** The defaults, as in schema/plugin.json (used when the registry is absent). */
export const DEFAULT_FRONTEND_SETTINGS: IFrontendSettings = {
  explorerSource: 'installed',
  explorerSort: 'name',
  openExplorerAtStart: false,
  confirmUninstall: true,
  refreshInterval: 120
};

const oneOf = <T>(choices: T[], value: unknown, fallback: T): T =>
  choices.includes(value as T) ? (value as T) : fallback;

/** The settings from the registry's composite values; a bad value gives the default. */
export function readFrontendSettings(
  values: Record<string, unknown>
): IFrontendSettings {
  const d = DEFAULT_FRONTEND_SETTINGS;
  const interval = Number(values.refreshInterval);
  return {
    explorerSource: oneOf(
      EXPLORER_SOURCES,
      values.explorerSource,
      d.explorerSource
    ),
    explorerSort: oneOf(SORT_ORDERS, values.explorerSort, d.explorerSort),
    openExplorerAtStart:
      typeof values.openExplorerAtStart === 'boolean'
        ? values.openExplorerAtStart
        : d.openExplorerAtStart,
    confirmUninstall:
      typeof values.confirmUninstall === 'boolean'
        ? values.confirmUninstall
        : d.confirmUninstall,
    refreshInterval:
      Number.isFinite(interval) && interval >= 0 ? interval : d.refreshInterval
  };
}
