/**
 * Installed and published packs: the model the Installed and Published sections read, and
 * the pure functions behind their search, filter and copyable commands.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  IEnvsAnswer,
  ILoadable,
  IManifest,
  IPublishedAnswer,
  JobKind,
  JobParams
} from '../types';

/** The CPU/GPU filter of the Published section. */
export type ArchFilter = 'all' | 'CPU' | 'GPU';

/** The pack's architecture, CPU unless the manifest says GPU. */
export function archOf(pack: { arch_type?: string }): 'CPU' | 'GPU' {
  return (pack.arch_type ?? '').toUpperCase() === 'GPU' ? 'GPU' : 'CPU';
}

/** What the search reads of a pack: a manifest, or an explorer card's subject. */
export interface ISearchablePack {
  name: string;
  slug: string;
  version?: string;
  description?: string;
  arch_type?: string;
  libraries?: string[];
}

/**
 * The packs matching a search text (every word in the name, slug, version, description or
 * libraries, case-insensitive) and an architecture.
 */
export function filterPacks<T extends ISearchablePack>(
  packs: T[],
  query: string,
  arch: ArchFilter
): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return packs.filter(pack => {
    if (arch !== 'all' && archOf(pack) !== arch) {
      return false;
    }
    const text = [
      pack.name,
      pack.slug,
      pack.version,
      pack.description,
      ...(pack.libraries ?? [])
    ]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    return words.every(word => text.includes(word));
  });
}

/** A size in megabytes in words: `33.0 MB`, `1.2 GB`. */
export function formatSizeMb(sizeMb: number | null | undefined): string {
  if (sizeMb === null || sizeMb === undefined) {
    return '';
  }
  return sizeMb >= 1000
    ? `${(sizeMb / 1000).toFixed(1)} GB`
    : `${sizeMb.toFixed(1)} MB`;
}

/** What a card's buttons do: a job kind and its parameters. */
export interface IJobRequest {
  kind: JobKind;
  params: JobParams;
}

/** The actions of an Installed card that start a job. */
export type EnvAction = 'publish' | 'pack' | 'uninstall';

/** The actions of an Installed card, in the order the card offers them. */
export const ENV_ACTIONS: EnvAction[] = ['publish', 'pack', 'uninstall'];

/**
 * The job an Installed card's button starts. Publish and re-pack replace what exists
 * (the card's button means "do it again"); the pack folder is the one the card is in.
 */
export function envJob(
  action: EnvAction,
  env: { slug: string },
  packFolder: string
): IJobRequest {
  const params: JobParams = { slug: env.slug };
  if (action !== 'uninstall') {
    params.overwrite = true;
  }
  if (packFolder) {
    params.conda_pack_folder = packFolder;
  }
  return { kind: action, params };
}

/**
 * The job a Published card's Install button starts: from its URI, into `packFolder`. A
 * service pack (`service`) is installed by its slug from Oracle's service packs.
 */
export function installJob(
  pack: IManifest,
  packFolder: string,
  service = false
): IJobRequest {
  const params: JobParams = service
    ? { slug: pack.slug, service: true }
    : pack.pack_uri
      ? { conda_uri: pack.pack_uri }
      : { slug: pack.slug };
  params.overwrite = true;
  if (packFolder) {
    params.conda_pack_folder = packFolder;
  }
  return { kind: 'install', params };
}

/** The CLI's spelling of a job parameter (ADS's short flags where ADS has one). */
const CLI_FLAGS: Record<string, string> = {
  slug: '-s',
  conda_uri: '-u',
  overwrite: '-o',
  conda_pack_folder: '--conda-pack-folder'
};

/**
 * The CLI command that does what a job request does: the same operation with the same
 * parameters, so a copied command repeats the button's action in a terminal.
 */
export function cliCommand(request: IJobRequest): string {
  const words = ['conda-pack-ext', request.kind];
  for (const [key, value] of Object.entries(request.params)) {
    const flag = CLI_FLAGS[key] ?? `--${key.replace(/_/g, '-')}`;
    if (value === true) {
      words.push(flag);
    } else if (value !== false && value !== '') {
      words.push(flag, shellQuote(String(value)));
    }
  }
  return words.join(' ');
}

/** Quote a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(word)
    ? word
    : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The server calls the model makes; tests pass their own. */
export interface IPacksApi {
  envs: () => Promise<IEnvsAnswer>;
  published: (rescan: boolean) => Promise<IPublishedAnswer>;
}

const EMPTY = { data: null, error: null, loading: false };

/** The pack folder's environments and the store's packs, loaded on demand. */
export class PacksModel {
  constructor(private readonly server: IPacksApi) {}

  get installed(): ILoadable<IEnvsAnswer> {
    return this._installed;
  }

  get published(): ILoadable<IPublishedAnswer> {
    return this._published;
  }

  /** Emitted when either list changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Read both lists again. */
  async refresh(): Promise<void> {
    await Promise.all([this.refreshInstalled(), this.refreshPublished()]);
  }

  async refreshInstalled(): Promise<void> {
    this._installed = { ...this._installed, loading: true };
    this._changed.emit();
    try {
      const data = await this.server.envs();
      this._installed = { data, error: null, loading: false };
    } catch (error) {
      this._installed = { data: null, error: error as Error, loading: false };
    }
    this._changed.emit();
  }

  /** Read the store's index; `rescan` rebuilds it from the store's listing first. */
  async refreshPublished(rescan = false): Promise<void> {
    this._published = { ...this._published, loading: true };
    this._changed.emit();
    try {
      const data = await this.server.published(rescan);
      this._published = { data, error: null, loading: false };
    } catch (error) {
      this._published = { data: null, error: error as Error, loading: false };
    }
    this._changed.emit();
  }

  private _installed: ILoadable<IEnvsAnswer> = EMPTY;
  private _published: ILoadable<IPublishedAnswer> = EMPTY;
  private _changed = new Signal<this, void>(this);
}
