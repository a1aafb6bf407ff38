"""Every operation of conda-pack-ext, declared once.

The CLI's verbs and flags (ADS's spellings), the kinds and params that REST jobs accept,
`openapi.yaml`'s job params and the TypeScript types in `src/operations.ts` all derive
from OPERATIONS (tests/test_operation_contract.py holds them together). Settings params
override config.ini for the one call (see settings.py).
"""

from __future__ import annotations

from dataclasses import replace

from ..envfile import ADS_CLI_DEFAULT_VERSION
from ..oci_usage import TARGETS
from ..pack_files import DEFAULT_COMPRESS_LEVEL
from ..settings import AUTH_MODES, ENGINES
from .spec import Operation, Param

# ---- settings (flags over config.ini) -----------------------------------------------------
FOLDER = Param(
    "conda_pack_folder", "local pack folder (default ~/conda)", metavar="DIR", setting=True
)
PREFIX = Param(
    "conda_pack_os_prefix",
    "store: oci://bucket@namespace/prefix or file:///absolute/folder",
    flags=("-p", "--conda-pack-os-prefix"),
    metavar="PREFIX_URI",
    setting=True,
)
AUTH = Param(
    "auth",
    f"OCI auth: {', '.join(AUTH_MODES)}",
    flags=("-a", "--auth"),
    choices=AUTH_MODES,
    metavar="MODE",
    setting=True,
)
OCI_CONFIG = Param("oci_config", "OCI config file (~/.oci/config)", metavar="FILE", setting=True)
OCI_PROFILE = Param("oci_profile", "profile of the OCI config file", metavar="NAME", setting=True)
OS_ENDPOINT = Param("os_endpoint", "Object Storage endpoint URL", metavar="URL", setting=True)
SERVICE_INDEX = Param(
    "service_index",
    "Oracle's service pack index (default: the one of your region)",
    metavar="URI",
    setting=True,
)
ENGINE = Param(
    "engine",
    f"one of {', '.join(ENGINES)} (default auto: the embedded rattler engine)",
    choices=ENGINES,
    metavar="ENGINE",
    setting=True,
)
DOCKER_HOST = Param(
    "docker_host",
    "Docker-API engine address (setting docker_host; default DOCKER_HOST)",
    metavar="URL",
    setting=True,
)
STORE = (PREFIX, AUTH, OCI_CONFIG, OCI_PROFILE, OS_ENDPOINT)

# ---- params shared by several operations ---------------------------------------------------
SLUG = Param("slug", "slug of an env in the pack folder", flags=("-s", "--slug"))
OVERWRITE = Param("overwrite", "replace an existing one of that slug", bool, ("-o", "--overwrite"))
NO_KERNEL = Param("no_kernel", "do not add ipykernel nor register a kernel", bool)
CONDA_URI = Param(
    "conda_uri",
    "the pack: oci://bucket@namespace/path/slug, a path or a file:// URL",
    flags=("-u", "--conda-uri"),
    metavar="URI",
)
SERVICE = Param("service", "-s names one of Oracle's service packs", bool)
ENV_FILE = Param(
    "environment_file",
    "conda environment file (with an optional manifest: section)",
    flags=("-f", "--environment-file"),
    metavar="ENV.yaml",
)
# an environment file's text, for the panel (REST only; bounded like the file itself)
ENVIRONMENT = Param("environment", "an environment file's text", cli=False, max_chars=2 << 20)
SOURCE_HELP = (
    "a pack file, an installed env (slug or folder), a lock or environment file, or an oci:// URI"
)
PUBLISHED = Param(
    "published",
    "SOURCE is the slug of a published pack (read from the store)",
    bool,
    ("-s", "--slug"),
)
BUILD = (
    Param("name", "environment name (default: manifest.name, name)", flags=("-n", "--name")),
    Param(
        "version",
        f"environment version (default: manifest.version, else {ADS_CLI_DEFAULT_VERSION} as in ADS)",
        flags=("-v", "--version"),
    ),
    # the CLI's default version is ADS's `1`, the panel's odsc's `1.0`
    Param(
        "default_version",
        "version when neither -v nor the manifest gives one",
        cli=False,
        cli_value=ADS_CLI_DEFAULT_VERSION,
    ),
    Param("gpu", "mark the pack as GPU", bool, ("-g", "--gpu")),
    ENGINE,
    NO_KERNEL,
    Param("image", "container image to build in (setting container_image)", metavar="IMAGE"),
    DOCKER_HOST,
)

OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation(
            "create",
            "conda_pack_ext.create:create_operation",
            "build a conda environment from an environment file into the pack folder",
            (
                ENV_FILE,
                ENVIRONMENT,
                Param(
                    "from_lock",
                    "rebuild exactly the packages locked in a lock file, pack, env or oci:// URI",
                    metavar="SOURCE",
                ),
                Param("clone", "copy an installed env to a new slug", metavar="SLUG"),
                replace(OVERWRITE, help="replace an existing env of that slug"),
                *BUILD,
                FOLDER,
            ),
            one_of=(("environment_file", "environment", "from_lock", "clone"),),
            result=("slug", "prefix", "manifest", "name", "version"),
        ),
        Operation(
            "pack",
            "conda_pack_ext.pack:pack_operation",
            "pack an environment of the pack folder as tar.gz",
            (
                replace(SLUG, required=True),
                Param(
                    "compress_level",
                    f"gzip level 0-9 (default {DEFAULT_COMPRESS_LEVEL}: fast; 4-9 use zlib-ng)",
                    int,
                    default=DEFAULT_COMPRESS_LEVEL,
                    metavar="N",
                ),
                replace(OVERWRITE, help="replace a current pack"),
                FOLDER,
            ),
            result=("slug", "pack_path", "sha256", "size"),
        ),
        Operation(
            "install",
            "conda_pack_ext.install:install_operation",
            "install a pack into the pack folder and register its kernels",
            (
                CONDA_URI,
                replace(SLUG, help="slug of a published (or --service) pack"),
                replace(OVERWRITE, help="replace an installed env of that slug"),
                replace(NO_KERNEL, help="do not register a kernel"),
                Param("sha256", "refuse the pack unless it has this hash", metavar="HEX"),
                SERVICE,
                Param("force", "install a pack unfit for this host", bool),
                FOLDER,
                *STORE,
                SERVICE_INDEX,
            ),
            description="Install a pack from its URI (-u: oci://, a path or file://) or, by "
            "slug (-s), from the store (or with --service, Oracle's service packs).",
            one_of=(("conda_uri", "slug"),),
            result=("slug", "prefix", "kernels"),
        ),
        Operation(
            "uninstall",
            "conda_pack_ext.install:uninstall_operation",
            "remove an installed env and its kernels",
            (replace(SLUG, help="slug of the installed env", required=True), FOLDER),
            result=("prefix", "kernels"),
        ),
        Operation(
            "publish",
            "conda_pack_ext.publish:publish_operation",
            "publish an environment's pack to the store",
            (
                replace(SLUG, help="slug of an environment in the pack folder"),
                replace(ENV_FILE, help="create it first"),
                ENVIRONMENT,
                Param("from_service", "copy one of Oracle's service packs", metavar="SLUG"),
                replace(OVERWRITE, help="replace a pack published with this slug"),
                *BUILD,
                FOLDER,
                *STORE,
                SERVICE_INDEX,
            ),
            description="Publish the pack of env SLUG (packing it if needed), create, pack "
            "and publish an environment file in one go (-f), or copy a service pack as it "
            "is (--from-service).",
            one_of=(("slug", "environment_file", "environment", "from_service"),),
            result=("slug", "uri", "sha256", "size"),
        ),
        Operation(
            "unpublish",
            "conda_pack_ext.publish:unpublish_operation",
            "remove a published pack from the store",
            (replace(SLUG, help="slug of the published pack", required=True), FOLDER, *STORE),
            result=("removed",),
        ),
        Operation(
            "clean",
            "conda_pack_ext.cleanup:clean_operation",
            "remove what dead installs left in the pack folder, and kernels of vanished envs",
            (
                Param("dry_run", "only list what would be removed", bool),
                replace(
                    FOLDER,
                    rest=False,
                    rest_note="over REST, clean works on the configured pack folder only "
                    "(the command line's `clean` takes any folder)",
                ),
            ),
            description="Remove the hidden folders that installs and uninstalls killed "
            "midway left in the pack folder (an env moved aside is put back), and our "
            "kernels whose env in that folder no longer exists. Nothing else is touched.",
            result=("conda_pack_folder", "dry_run", "leftovers", "stale_kernels"),
        ),
        # ---- answers, not jobs (the REST API has GET routes for what the panel shows) ----
        Operation(
            "list",
            "conda_pack_ext.answers:list_operation",
            "list installed envs (default), published packs or Oracle's service packs",
            (
                Param("local", "envs in the pack folder", bool),
                Param("published", "packs in the store", bool),
                Param("service", "Oracle's service packs", bool),
                Param("rescan", "rebuild the store's index (--published)", bool),
                FOLDER,
                *STORE,
                SERVICE_INDEX,
            ),
            description="List envs in the pack folder (--local, the default), packs in the "
            "store (--published) or Oracle's service packs (--service). Listing changes "
            "nothing; see `clean`.",
            at_most_one=(("local", "published", "service"),),
            job=False,
        ),
        Operation(
            "status",
            "conda_pack_ext.answers:status_operation",
            "show builders, pack folder and store in effect",
            (),
            job=False,
        ),
        Operation(
            "configure",
            "conda_pack_ext.answers:configure_operation",
            "write defaults into ADS's config.ini",
            (
                FOLDER,
                *STORE,
                SERVICE_INDEX,
                ENGINE,
                Param(
                    "container_image", "container image to build in", metavar="IMAGE", setting=True
                ),
                DOCKER_HOST,
                Param("part_size_mb", "upload part size", int, metavar="MB", setting=True),
                Param("parallelism", "parallel transfers", int, metavar="N", setting=True),
                Param(
                    "max_unpacked_size_gb",
                    "largest size a pack may unpack to, in GB (0: 20 times its size)",
                    float,
                    metavar="GB",
                    setting=True,
                ),
            ),
            description="Write the given settings into ~/.ads_ops/config.ini (ADS's file); "
            "without flags, show the settings in effect.",
            job=False,
        ),
        Operation(
            "usage",
            "conda_pack_ext.answers:usage_operation",
            "what to paste to use a pack in OCI Jobs, Pipelines, deployments, Data Flow",
            (
                replace(CONDA_URI, help="oci://bucket@namespace/object"),
                replace(SLUG, help="slug of a published (or --service) pack"),
                SERVICE,
                Param("target", "where", flags=("--for",), choices=TARGETS, required=True),
                Param("region", "the pack bucket's region (default: your auth's)"),
                FOLDER,
                *STORE,
                SERVICE_INDEX,
            ),
            description="Print the environment variables, runtime.yaml block or Spark "
            "setting that makes an OCI Data Science resource use the pack, and the IAM "
            "policy it needs.",
            one_of=(("conda_uri", "slug"),),
            job=False,
        ),
        Operation(
            "inspect",
            "conda_pack_ext.answers:inspect_operation",
            "show the manifest and packages of a pack, env or published pack",
            (
                Param("source", SOURCE_HELP, positional=True, metavar="SOURCE"),
                PUBLISHED,
                FOLDER,
                *STORE,
            ),
            description="Show what SOURCE holds without installing or extracting it: its "
            "manifest, conda packages and Python distributions, size, python, platform, and "
            "whether it carries a lock.",
            job=False,
        ),
        Operation(
            "diff",
            "conda_pack_ext.answers:diff_operation",
            "compare the packages of two envs, packs, locks or environment files",
            (
                Param("a", SOURCE_HELP, positional=True, metavar="A"),
                Param("b", SOURCE_HELP, positional=True, metavar="B"),
                FOLDER,
                *STORE,
            ),
            description="Show the packages added, removed and changed from A to B.",
            job=False,
        ),
        Operation(
            "sbom",
            "conda_pack_ext.answers:sbom_operation",
            "write a CycloneDX 1.5 SBOM of a pack, env or published pack",
            (
                Param("source", SOURCE_HELP, positional=True, metavar="SOURCE"),
                Param(
                    "output",
                    "write it here (default stdout)",
                    flags=("-o", "--output"),
                    metavar="FILE",
                    rest=False,
                ),
                PUBLISHED,
                FOLDER,
                *STORE,
            ),
            description="Print (or write with -o) a CycloneDX 1.5 JSON SBOM of SOURCE.",
            job=False,
        ),
    )
}

JOB_KINDS = tuple(name for name, op in OPERATIONS.items() if op.job)
