/**
 * Shapes of the data exchanged with the server part under /conda-pack-ext/ (see
 * conda_pack_ext/server/openapi.yaml), and of the state the views show.
 */

import { IJobParamsOf, JobKind } from './operations';

export { JobKind };

/** The panel's sections, in tab order. */
export type SectionId =
  'installed' | 'published' | 'create' | 'activity' | 'status';

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
  /** What packs are compared with: GPU packs need an NVIDIA driver. */
  host?: { platform: string; nvidia_driver: boolean };
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

/** Where a job stands. */
export type JobState =
  'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** How far the current phase of a job is. */
export interface IJobProgress {
  done: number;
  total: number | null;
  /** What done and total count: `bytes`, `files`, `packages`... or empty. */
  unit: string;
  /** Recent speed in units per second, when measurable. */
  rate: number | null;
}

/** The parameters of a job: the CLI's long options with `_`. */
/**
 * A job's params as the panel builds them; each kind's own (IJobParamsOf, generated from
 * the server's operations table) are what the server accepts.
 */
export type JobParams = IJobParamsOf[JobKind] &
  Record<string, string | boolean | number>;

/** A job as GET /conda-pack-ext/jobs/<id> answers it, or as a job event carries it. */
export interface IJob {
  id: string;
  kind: JobKind;
  params?: JobParams;
  slug?: string | null;
  state: JobState;
  phase: string;
  progress: IJobProgress;
  /** Log lines from `log_offset` on (absent in lists). */
  log?: string[];
  log_offset?: number;
  log_total?: number;
  result?: Record<string, unknown> | null;
  error?: IErrorBody | null;
  cancel_requested?: boolean;
  created?: string;
  started?: string | null;
  finished?: string | null;
}

/** What every pack and env shows of itself (its manifest's main facts). */
export interface IPackFacts {
  slug: string;
  name: string;
  version: string;
  python: string;
  arch_type: string;
  size_mb: number | null;
}

/** An environment or installed pack in the pack folder (GET envs). */
export interface ILocalEnv extends IPackFacts {
  prefix: string;
  kernels: string[];
  pack_uri: string;
  managed: boolean;
  pack?: {
    path: string;
    sha256: string;
    size: number;
    size_mb: number;
    created: string;
  } | null;
  states?: string[];
  create_date?: string;
  /** The license summary of its manifest, like `MIT (12)` (absent for ADS's packs). */
  licenses?: string[];
}

/** GET /conda-pack-ext/envs */
export interface IEnvsAnswer {
  conda_pack_folder: string;
  store_uri: string;
  store_error: IErrorBody | null;
  /** unusable entries of the store's index, skipped */
  store_warnings?: string[];
  envs: ILocalEnv[];
  /** What the `clean` job would remove; listing changes nothing. */
  cleanup?: { leftovers: string[]; stale_kernels: string[] };
}

/** A published pack's manifest (ADS's fields; empty ones dropped). */
export interface IManifest {
  name: string;
  slug: string;
  version?: string;
  description?: string;
  type?: string;
  arch_type?: string;
  create_date?: string;
  created_by?: string;
  python?: string;
  size_mb?: number;
  libraries?: string[];
  /** License summary, like `MIT (12)` (absent for ADS's packs). */
  licenses?: string[];
  pack_path?: string;
  pack_uri?: string;
  source?: string;
  [key: string]: unknown;
}

/** GET /conda-pack-ext/published */
export interface IPublishedAnswer {
  store_uri: string;
  packs: IManifest[];
  /** unusable entries of the store's index, skipped */
  warnings?: string[];
}

/** The settings the Settings dialog edits (PUT /conda-pack-ext/config). */
export interface IConfigValues {
  conda_pack_folder?: string | null;
  conda_pack_os_prefix?: string | null;
  auth?: string | null;
  oci_config?: string | null;
  oci_profile?: string | null;
  os_endpoint?: string | null;
  engine?: string | null;
  [key: string]: string | number | null | undefined;
}

/** GET and PUT /conda-pack-ext/config */
export interface IConfigAnswer {
  settings: IConfigValues & { ads_config_dir?: string; config_path?: string };
  sources: Record<string, string>;
  choices: { auth: string[]; engine: string[] };
  keys: string[];
}

/** GET /conda-pack-ext/service-packs: Oracle's service ("Data Science") packs. */
export interface IServicePacksAnswer {
  index_uri: string;
  packs: IManifest[];
}

/** The OCI services a pack can be used in (GET usage?for=). */
export type UsageTarget = 'job' | 'pipeline' | 'model-deployment' | 'dataflow';

/** GET /conda-pack-ext/usage: what to paste to use a pack in an OCI service. */
export interface IUsageAnswer {
  target: UsageTarget;
  pack: { slug: string; uri: string; python: string; type: string };
  region: string;
  /** Job and pipeline environment variables. */
  env?: Record<string, string>;
  ads_python?: string;
  runtime_yaml_text?: string;
  spark_conf?: Record<string, string>;
  policy: { dynamic_group_rule: string; statements: string[]; note?: string };
}

/** One conda package of an installed env. */
export interface IEnvPackage {
  name: string;
  version: string;
  build: string;
  channel: string;
}

/** GET /conda-pack-ext/envs/<slug>/packages */
export interface IEnvPackagesAnswer {
  slug: string;
  prefix: string;
  packages: IEnvPackage[];
}

/** A package in one side of a comparison only. */
export interface IDiffPackage {
  name: string;
  /** `conda` or `pypi`. */
  kind: string;
  version: string;
  build: string;
}

/** A package in both sides of a comparison, with another version or build. */
export interface IDiffChange {
  name: string;
  kind: string;
  from_version: string;
  from_build: string;
  to_version: string;
  to_build: string;
}

/** GET /conda-pack-ext/diff: what differs from pack A to pack B. */
export interface IDiffAnswer {
  from: string;
  to: string;
  added: IDiffPackage[];
  removed: IDiffPackage[];
  changed: IDiffChange[];
}
