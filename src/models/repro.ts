/**
 * Reproducible packs in the panel: the license summary a card shows, the `create` job a
 * card's "Rebuild…" starts, and the rows of a "Compare with…" table.
 */
import { IDiffAnswer, ILocalEnv, IManifest } from '../types';
import { IExplorerItem } from './explorer';
import { IJobRequest } from './packs';

/** How many license groups a card names before "+N more". */
export const LICENSES_SHOWN = 3;

/**
 * A manifest's `licenses` (like `["MIT (12)", "BSD-3-Clause (4)"]`) as one short line:
 * `MIT (12), BSD-3-Clause (4), +3 more`. Empty when the manifest has none (packs made by
 * ADS) or holds something else than a list of strings (manifests are untrusted input).
 */
export function licenseSummary(
  licenses: unknown,
  more: (count: number) => string = count => `+${count} more`,
  shown = LICENSES_SHOWN
): string {
  if (!Array.isArray(licenses)) {
    return '';
  }
  const names = licenses.filter(
    (entry): entry is string => typeof entry === 'string' && entry !== ''
  );
  const rest = names.length - shown;
  return [...names.slice(0, shown), ...(rest > 0 ? [more(rest)] : [])].join(
    ', '
  );
}

/**
 * The version a rebuild suggests: the last number of `version` plus one (`1.0` gives
 * `1.1`, `2.3-beta4` gives `2.3-beta5`), `<version>.1` when it has no number, `1.0` when
 * there is none.
 */
export function nextVersion(version: string | undefined): string {
  if (!version) {
    return '1.0';
  }
  const last = /(\d+)(\D*)$/.exec(version);
  if (!last) {
    return `${version}.1`;
  }
  const bumped = String(Number(last[1]) + 1);
  return version.slice(0, last.index) + bumped + last[2];
}

/** What a "Rebuild…" dialog asks for. */
export interface IRebuildTarget {
  name: string;
  version: string;
}

/**
 * The `create` job that rebuilds exactly the packages locked in `source` (an installed
 * env's slug, or a published pack's URI) as a new env `name` `version`, in `packFolder`.
 */
export function rebuildJob(
  source: string,
  target: IRebuildTarget,
  packFolder: string
): IJobRequest {
  const request: IJobRequest = {
    kind: 'create',
    params: { from_lock: source, name: target.name.trim() }
  };
  if (target.version.trim()) {
    request.params.version = target.version.trim();
  }
  if (packFolder) {
    request.params.conda_pack_folder = packFolder;
  }
  return request;
}

/** A pack as "Compare with…" and "Rebuild…" name it: an installed env or a published pack. */
export interface IPackRef {
  /** The env's slug, or the published pack's slug in the store. */
  slug: string;
  published: boolean;
  name: string;
  version: string;
  /** What a rebuild reads the lock from: the env's slug, or the published pack's URI. */
  lockSource: string;
}

/** An installed env as a pack reference. */
export function envRef(env: ILocalEnv): IPackRef {
  return {
    slug: env.slug,
    published: false,
    name: env.name,
    version: env.version ?? '',
    lockSource: env.slug
  };
}

/** A published pack (of the store) as a pack reference. */
export function publishedRef(pack: IManifest): IPackRef {
  return {
    slug: pack.slug,
    published: true,
    name: pack.name,
    version: pack.version ?? '',
    lockSource: pack.pack_uri ?? ''
  };
}

/** A key that tells pack references apart (an env and a published pack share slugs). */
export function refKey(ref: IPackRef): string {
  return `${ref.published ? 'published' : 'installed'}:${ref.slug}`;
}

/** What "Compare with…" offers beside `subject`: the other envs and published packs. */
export function compareCandidates(
  envs: ILocalEnv[],
  published: IManifest[],
  subject: IPackRef
): IPackRef[] {
  return [...envs.map(envRef), ...published.map(publishedRef)].filter(
    ref => refKey(ref) !== refKey(subject)
  );
}

/** The query of GET diff comparing `a` with `b`. */
export function diffQuery(a: IPackRef, b: IPackRef): string {
  return new URLSearchParams({
    a: a.slug,
    a_published: a.published ? '1' : '0',
    b: b.slug,
    b_published: b.published ? '1' : '0'
  }).toString();
}

/** How a package differs from A to B. */
export type DiffChange = 'added' | 'removed' | 'changed';

/** One row of the comparison table. */
export interface IDiffRow {
  change: DiffChange;
  name: string;
  kind: string;
  /** Version and build in A (empty when added). */
  from: string;
  /** Version and build in B (empty when removed). */
  to: string;
}

function versionBuild(version: string, build: string): string {
  return [version, build].filter(Boolean).join(' ');
}

/** The rows of the comparison table: added, then removed, then changed, each by name. */
export function diffRows(answer: IDiffAnswer): IDiffRow[] {
  const byName = (x: IDiffRow, y: IDiffRow) => x.name.localeCompare(y.name);
  const added = answer.added.map(p => ({
    change: 'added' as const,
    name: p.name,
    kind: p.kind,
    from: '',
    to: versionBuild(p.version, p.build)
  }));
  const removed = answer.removed.map(p => ({
    change: 'removed' as const,
    name: p.name,
    kind: p.kind,
    from: versionBuild(p.version, p.build),
    to: ''
  }));
  const changed = answer.changed.map(p => ({
    change: 'changed' as const,
    name: p.name,
    kind: p.kind,
    from: versionBuild(p.from_version, p.from_build),
    to: versionBuild(p.to_version, p.to_build)
  }));
  return [
    ...added.sort(byName),
    ...removed.sort(byName),
    ...changed.sort(byName)
  ];
}

/** An explorer card's pack as a reference; null for Oracle's service packs. */
export function explorerItemRef(item: IExplorerItem): IPackRef | null {
  if (item.source === 'installed' && item.env) {
    return envRef(item.env);
  }
  if (item.source === 'published' && item.manifest) {
    return publishedRef(item.manifest);
  }
  return null;
}
