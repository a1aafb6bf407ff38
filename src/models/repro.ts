/**
 * Reproducible packs in the panel: the license summary a card shows, the `create` job a
 * card's "Rebuild…" starts, and the rows of a "Compare with…" table.
 */
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
