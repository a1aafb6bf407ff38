/**
 * The Conda Packs explorer's data: installed envs, published packs and Oracle's service
 * packs turned into cards with their state, searched, filtered, grouped by name (one card
 * per name, its versions newest first) and sorted. Pure functions: the widget and the tests
 * call them with the models' answers.
 */
import {
  IEnvsAnswer,
  ILocalEnv,
  IManifest,
  IPackFacts,
  IPublishedAnswer,
  IServicePacksAnswer,
  IStatus
} from '../types';
import {
  ArchFilter,
  archOf,
  ENV_ACTIONS,
  envJob,
  filterPacks,
  IJobRequest,
  installJob
} from './packs';

/** Where the explorer's cards come from. */
export type ExplorerSource = 'installed' | 'published' | 'service';

/** The explorer's sources, in the order of its switch. */
export const EXPLORER_SOURCES: ExplorerSource[] = [
  'installed',
  'published',
  'service'
];

/** How the explorer orders its cards. */
export type SortOrder = 'name' | 'date' | 'size';

/** The explorer's sort orders, in the order of its menu. */
export const SORT_ORDERS: SortOrder[] = ['name', 'date', 'size'];

/** What a card says about a pack besides its manifest. */
export interface ICardState {
  /** An env of this slug is in the pack folder. */
  installed: boolean;
  /** A pack of this slug is in the store. */
  published: boolean;
  /** The newest version of the same name published (or served), when newer than this. */
  newerVersion: string | null;
}

/** One version of a pack, as a card shows it. */
export interface IExplorerItem extends IPackFacts {
  source: ExplorerSource;
  /** The manifest's date as written (ADS's format, or ISO for a pack file). */
  date: string;
  description: string;
  libraries: string[];
  /** Where the pack comes from or is published: oci://, file:// or empty. */
  pack_uri: string;
  /** The installed env of this slug, if any (its kernels, prefix). */
  env: ILocalEnv | null;
  /** The manifest as the store or the service index gives it (published, service). */
  manifest: IManifest | null;
  state: ICardState;
}

/** One card: every version of a name, newest first. */
export interface IExplorerGroup {
  name: string;
  items: IExplorerItem[];
}

/** The answers the explorer reads (any may still be loading: null). */
export interface IExplorerData {
  installed: IEnvsAnswer | null;
  published: IPublishedAnswer | null;
  service: IServicePacksAnswer | null;
}

/** The explorer's search, filter and order. */
export interface IExplorerQuery {
  query: string;
  arch: ArchFilter;
  sort: SortOrder;
}

/** Compare versions part by part, numbers as numbers: 1.10 > 1.9 > 1.9rc1. */
export function compareVersions(a: string, b: string): number {
  const parts = (version: string) => version.match(/\d+|[A-Za-z]+/g) ?? [];
  const [left, right] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const [x, y] = [left[i], right[i]];
    if (x === undefined || y === undefined) {
      // 1.0 < 1.0.1, but 1.0rc1 < 1.0
      const rest = (x ?? y) as string;
      const sign = /^\d/.test(rest) ? 1 : -1;
      return x === undefined ? -sign : sign;
    }
    const [nx, ny] = [Number(x), Number(y)];
    const order =
      Number.isNaN(nx) || Number.isNaN(ny)
        ? x.localeCompare(y)
        : Math.sign(nx - ny);
    if (order !== 0) {
      return order;
    }
  }
  return 0;
}

const MONTHS = 'jan feb mar apr may jun jul aug sep oct nov dec'.split(' ');

/**
 * A manifest date in milliseconds: ADS writes `Mon, Jan 08, 2024, 10:00:00 UTC`, pack
 * files carry ISO dates; 0 when unreadable (sorted last).
 */
export function dateValue(text: string): number {
  const ads =
    /([A-Za-z]{3}) (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})/.exec(text);
  if (ads) {
    const month = MONTHS.indexOf(ads[1].toLowerCase());
    if (month >= 0) {
      const [day, year, h, m, s] = ads.slice(2).map(Number);
      return Date.UTC(year, month, day, h, m, s);
    }
  }
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? 0 : parsed;
}

/** The newest version of `name` among `packs`, if newer than `version`. */
function newerVersionOf(
  name: string,
  version: string,
  packs: IManifest[]
): string | null {
  let newest: string | null = null;
  for (const pack of packs) {
    const candidate = pack.version ?? '';
    if (
      pack.name.toLowerCase() === name.toLowerCase() &&
      compareVersions(candidate, newest ?? version) > 0
    ) {
      newest = candidate;
    }
  }
  return newest;
}

function fromManifest(
  source: ExplorerSource,
  pack: IManifest,
  env: ILocalEnv | null
): Omit<IExplorerItem, 'state'> {
  return {
    source,
    slug: pack.slug,
    name: pack.name,
    version: pack.version ?? '',
    python: pack.python ?? '',
    arch_type: archOf(pack),
    size_mb: pack.size_mb ?? null,
    date: pack.create_date ?? '',
    description: pack.description ?? '',
    libraries: pack.libraries ?? [],
    pack_uri: pack.pack_uri ?? '',
    env,
    manifest: pack
  };
}

function fromEnv(env: ILocalEnv): Omit<IExplorerItem, 'state'> {
  const manifest = env as unknown as { description?: string };
  return {
    source: 'installed',
    slug: env.slug,
    name: env.name,
    version: env.version,
    python: env.python,
    arch_type: archOf(env),
    size_mb: env.size_mb ?? env.pack?.size_mb ?? null,
    date: env.create_date ?? env.pack?.created ?? '',
    description: manifest.description ?? '',
    libraries: [],
    pack_uri: env.pack_uri,
    env,
    manifest: null
  };
}

/** The cards of one source, each with its state against the other sources. */
export function explorerItems(
  source: ExplorerSource,
  data: IExplorerData
): IExplorerItem[] {
  const envs = data.installed?.envs ?? [];
  const published = data.published?.packs ?? [];
  const service = data.service?.packs ?? [];
  const envBySlug = new Map(envs.map(env => [env.slug, env]));
  const publishedSlugs = new Set(published.map(pack => pack.slug));
  const bases =
    source === 'installed'
      ? envs.map(fromEnv)
      : (source === 'published' ? published : service).map(pack =>
          fromManifest(source, pack, envBySlug.get(pack.slug) ?? null)
        );
  // an installed env may come from either list: look for newer versions in both
  const newerIn =
    source === 'installed'
      ? [...published, ...service]
      : source === 'published'
        ? published
        : service;
  return bases.map(base => ({
    ...base,
    state: {
      installed: envBySlug.has(base.slug),
      published:
        publishedSlugs.has(base.slug) ||
        (base.env?.states ?? []).includes('published'),
      newerVersion: newerVersionOf(base.name, base.version, newerIn)
    }
  }));
}

/** One group per name (case-insensitive), its versions newest first. */
export function groupByName(items: IExplorerItem[]): IExplorerGroup[] {
  const groups = new Map<string, IExplorerGroup>();
  for (const item of items) {
    const key = item.name.toLowerCase();
    const group = groups.get(key) ?? { name: item.name, items: [] };
    group.items.push(item);
    groups.set(key, group);
  }
  for (const group of groups.values()) {
    group.items.sort((a, b) => compareVersions(b.version, a.version));
  }
  return [...groups.values()];
}

/** Groups in order: by name A to Z, newest first (date), or largest first (size). */
export function sortGroups(
  groups: IExplorerGroup[],
  order: SortOrder
): IExplorerGroup[] {
  const byName = (a: IExplorerGroup, b: IExplorerGroup) =>
    a.name.localeCompare(b.name, undefined, { sensitivity: 'base' });
  const key = (group: IExplorerGroup): number => {
    const latest = group.items[0];
    return order === 'date' ? dateValue(latest.date) : (latest.size_mb ?? -1);
  };
  return [...groups].sort((a, b) =>
    order === 'name' ? byName(a, b) : key(b) - key(a) || byName(a, b)
  );
}

/** The cards the explorer shows for a source and query. */
export function explorerGroups(
  source: ExplorerSource,
  data: IExplorerData,
  query: IExplorerQuery
): IExplorerGroup[] {
  const items = filterPacks(
    explorerItems(source, data),
    query.query,
    query.arch
  );
  return sortGroups(groupByName(items), query.sort);
}

/** A GPU pack on a host without an NVIDIA driver: it would run on the CPU only. */
export function needsMissingGpu(
  item: { arch_type: string },
  status: IStatus | null
): boolean {
  return item.arch_type === 'GPU' && status?.host?.nvidia_driver === false;
}

/**
 * The jobs a card's buttons start, for its CLI commands: an installed env's publish,
 * re-pack and uninstall; a published or service pack's install into `packFolder`.
 */
export function cardJobRequests(
  item: IExplorerItem,
  packFolder: string
): IJobRequest[] {
  if (item.source === 'installed' && item.env) {
    const env = item.env;
    return ENV_ACTIONS.map(action => envJob(action, env, packFolder));
  }
  const manifest = item.manifest ?? { name: item.name, slug: item.slug };
  return [installJob(manifest, packFolder, item.source === 'service')];
}
