// Generated from conda_pack_ext/operations/table.py by
// `python -m conda_pack_ext.operations.contract src/operations.ts`: do not edit.

/** The operations a job runs. */
export type JobKind =
  | 'create'
  | 'pack'
  | 'install'
  | 'uninstall'
  | 'publish'
  | 'unpublish'
  | 'clean';

/** build a conda environment from an environment file into the pack folder */
export interface ICreateParams {
  /** conda environment file (with an optional manifest: section) */
  environment_file?: string;
  /** an environment file's text */
  environment?: string;
  /** rebuild exactly the packages locked in a lock file, pack, env or oci:// URI */
  from_lock?: string;
  /** copy an installed env to a new slug */
  clone?: string;
  /** replace an existing env of that slug */
  overwrite?: boolean;
  /** environment name (default: manifest.name, name) */
  name?: string;
  /** environment version (default: manifest.version, else 1 as in ADS) */
  version?: string;
  /** version when neither -v nor the manifest gives one */
  default_version?: string;
  /** mark the pack as GPU */
  gpu?: boolean;
  /** one of auto, rattler, conda, mamba, micromamba, container (default auto: the embedded rattler engine) */
  engine?: 'auto' | 'rattler' | 'conda' | 'mamba' | 'micromamba' | 'container';
  /** do not add ipykernel nor register a kernel */
  no_kernel?: boolean;
  /** container image to build in (setting container_image) */
  image?: string;
  /** Docker-API engine address (setting docker_host; default DOCKER_HOST) */
  docker_host?: string;
  /** local pack folder (default ~/conda) */
  conda_pack_folder?: string;
}

/** pack an environment of the pack folder as tar.gz */
export interface IPackParams {
  /** slug of an env in the pack folder */
  slug?: string;
  /** gzip level 0-9 (default 3: fast; 4-9 use zlib-ng) */
  compress_level?: number;
  /** replace a current pack */
  overwrite?: boolean;
  /** local pack folder (default ~/conda) */
  conda_pack_folder?: string;
}

/** install a pack into the pack folder and register its kernels */
export interface IInstallParams {
  /** the pack: oci://bucket@namespace/path/slug, a path or a file:// URL */
  conda_uri?: string;
  /** slug of a published (or --service) pack */
  slug?: string;
  /** replace an installed env of that slug */
  overwrite?: boolean;
  /** do not register a kernel */
  no_kernel?: boolean;
  /** refuse the pack unless it has this hash */
  sha256?: string;
  /** -s names one of Oracle's service packs */
  service?: boolean;
  /** install a pack unfit for this host */
  force?: boolean;
  /** local pack folder (default ~/conda) */
  conda_pack_folder?: string;
  /** store: oci://bucket@namespace/prefix or file:///absolute/folder */
  conda_pack_os_prefix?: string;
  /** OCI auth: api_key, resource_principal, instance_principal, security_token */
  auth?: 'api_key' | 'resource_principal' | 'instance_principal' | 'security_token';
  /** OCI config file (~/.oci/config) */
  oci_config?: string;
  /** profile of the OCI config file */
  oci_profile?: string;
  /** Object Storage endpoint URL */
  os_endpoint?: string;
  /** Oracle's service pack index (default: the one of your region) */
  service_index?: string;
}

/** remove an installed env and its kernels */
export interface IUninstallParams {
  /** slug of the installed env */
  slug?: string;
  /** local pack folder (default ~/conda) */
  conda_pack_folder?: string;
}

/** publish an environment's pack to the store */
export interface IPublishParams {
  /** slug of an environment in the pack folder */
  slug?: string;
  /** create it first */
  environment_file?: string;
  /** an environment file's text */
  environment?: string;
  /** copy one of Oracle's service packs */
  from_service?: string;
  /** replace a pack published with this slug */
  overwrite?: boolean;
  /** environment name (default: manifest.name, name) */
  name?: string;
  /** environment version (default: manifest.version, else 1 as in ADS) */
  version?: string;
  /** version when neither -v nor the manifest gives one */
  default_version?: string;
  /** mark the pack as GPU */
  gpu?: boolean;
  /** one of auto, rattler, conda, mamba, micromamba, container (default auto: the embedded rattler engine) */
  engine?: 'auto' | 'rattler' | 'conda' | 'mamba' | 'micromamba' | 'container';
  /** do not add ipykernel nor register a kernel */
  no_kernel?: boolean;
  /** container image to build in (setting container_image) */
  image?: string;
  /** Docker-API engine address (setting docker_host; default DOCKER_HOST) */
  docker_host?: string;
  /** local pack folder (default ~/conda) */
  conda_pack_folder?: string;
  /** store: oci://bucket@namespace/prefix or file:///absolute/folder */
  conda_pack_os_prefix?: string;
  /** OCI auth: api_key, resource_principal, instance_principal, security_token */
  auth?: 'api_key' | 'resource_principal' | 'instance_principal' | 'security_token';
  /** OCI config file (~/.oci/config) */
  oci_config?: string;
  /** profile of the OCI config file */
  oci_profile?: string;
  /** Object Storage endpoint URL */
  os_endpoint?: string;
  /** Oracle's service pack index (default: the one of your region) */
  service_index?: string;
}

/** remove a published pack from the store */
export interface IUnpublishParams {
  /** slug of the published pack */
  slug?: string;
  /** local pack folder (default ~/conda) */
  conda_pack_folder?: string;
  /** store: oci://bucket@namespace/prefix or file:///absolute/folder */
  conda_pack_os_prefix?: string;
  /** OCI auth: api_key, resource_principal, instance_principal, security_token */
  auth?: 'api_key' | 'resource_principal' | 'instance_principal' | 'security_token';
  /** OCI config file (~/.oci/config) */
  oci_config?: string;
  /** profile of the OCI config file */
  oci_profile?: string;
  /** Object Storage endpoint URL */
  os_endpoint?: string;
}

/** remove what dead installs left in the pack folder, and kernels of vanished envs */
export interface ICleanParams {
  /** only list what would be removed */
  dry_run?: boolean;
}

/** The params of each job kind. */
export interface IJobParamsOf {
  create: ICreateParams;
  pack: IPackParams;
  install: IInstallParams;
  uninstall: IUninstallParams;
  publish: IPublishParams;
  unpublish: IUnpublishParams;
  clean: ICleanParams;
}

/** The keys of each job kind's result (besides others it may add). */
export const JOB_RESULT_KEYS: { [K in JobKind]: readonly string[] } = {
  create: ['slug', 'prefix', 'manifest', 'name', 'version'],
  pack: ['slug', 'pack_path', 'sha256', 'size'],
  install: ['slug', 'prefix', 'kernels'],
  uninstall: ['prefix', 'kernels'],
  publish: ['slug', 'uri', 'sha256', 'size'],
  unpublish: ['removed'],
  clean: ['conda_pack_folder', 'dry_run', 'leftovers', 'stale_kernels']
};
