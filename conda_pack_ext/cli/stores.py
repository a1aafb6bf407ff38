"""`conda-pack-ext publish`, `unpublish` and `configure` (ADS's flags and config file)."""

from __future__ import annotations

from ..errors import InvalidInput
from ..operations import run_operation
from ..settings import AUTH_MODES, CONFIG_KEYS, write_config
from .common import TerminalProgress, add_json_flag, emit, settings_from_args


def add_store_flags(parser) -> None:
    """The flags that choose the store and how to reach it (ADS's spellings)."""
    parser.add_argument(
        "-p",
        "--conda-pack-os-prefix",
        metavar="PREFIX_URI",
        help="store: oci://bucket@namespace/prefix or file:///absolute/folder",
    )
    parser.add_argument("--conda-pack-folder", metavar="DIR", help="local pack folder (~/conda)")
    parser.add_argument("-a", "--auth", choices=AUTH_MODES, help="OCI auth mode")
    parser.add_argument("--oci-config", metavar="FILE", help="OCI config file (~/.oci/config)")
    parser.add_argument("--oci-profile", metavar="NAME", help="profile of the OCI config file")
    parser.add_argument("--os-endpoint", metavar="URL", help="Object Storage endpoint URL")


def register(subparsers) -> None:
    publish = subparsers.add_parser(
        "publish",
        help="publish an environment's pack to the store",
        description="Publish the pack of env SLUG (packing it if needed), or create, pack "
        "and publish an environment file in one go (-f).",
    )
    publish.add_argument("-s", "--slug", help="slug of an environment in the pack folder")
    publish.add_argument("-f", "--environment-file", metavar="ENV.yaml", help="create it first")
    publish.add_argument("-n", "--name", help="environment name (with -f)")
    publish.add_argument("-v", "--version", help="environment version (with -f)")
    publish.add_argument("-g", "--gpu", action="store_true", help="a GPU environment (with -f)")
    publish.add_argument(
        "-o", "--overwrite", action="store_true", help="replace a pack published with this slug"
    )
    add_store_flags(publish)
    add_json_flag(publish)
    publish.set_defaults(handler=run_publish)

    unpublish = subparsers.add_parser("unpublish", help="remove a published pack from the store")
    unpublish.add_argument("-s", "--slug", required=True, help="slug of the published pack")
    add_store_flags(unpublish)
    add_json_flag(unpublish)
    unpublish.set_defaults(handler=run_unpublish)

    configure = subparsers.add_parser(
        "configure",
        help="write defaults into ADS's config.ini",
        description="Write the given settings into ~/.ads_ops/config.ini (ADS's file); "
        "without flags, show the settings in effect.",
    )
    add_store_flags(configure)
    configure.add_argument("--part-size-mb", type=int, metavar="MB", help="upload part size")
    configure.add_argument("--parallelism", type=int, metavar="N", help="parallel transfers")
    add_json_flag(configure)
    configure.set_defaults(handler=run_configure)


OPERATION_FLAGS = (
    "slug",
    "environment_file",
    "name",
    "version",
    "gpu",
    "overwrite",
    "conda_pack_os_prefix",
    "conda_pack_folder",
    "auth",
    "oci_config",
    "oci_profile",
    "os_endpoint",
)


def _params(args) -> dict:
    params = {}
    for name in OPERATION_FLAGS:
        value = getattr(args, name, None)
        if value not in (None, False, ""):
            params[name] = value
    return params


def run_publish(args) -> None:
    params = _params(args)
    if not params.get("slug") and not params.get("environment_file"):
        raise InvalidInput("give -s SLUG (an existing environment) or -f ENV.yaml")
    result = run_operation("publish", params, TerminalProgress(), args.ads_config)
    summary = {key: result[key] for key in ("slug", "uri", "sha256", "size")}
    if getattr(args, "json", False):
        emit(args, summary, "")
    else:
        print(
            f"published {result['slug']} to {result['uri']}\n"
            f"  {result['size'] / 1e6:.1f} MB, sha256 {result['sha256']}"
        )


def run_unpublish(args) -> None:
    result = run_operation("unpublish", _params(args), TerminalProgress(), args.ads_config)
    emit(args, result, "removed " + ", ".join(result["removed"]))


def run_configure(args) -> None:
    values = {
        name: getattr(args, name)
        for name in CONFIG_KEYS
        if getattr(args, name, None) not in (None, "")
    }
    if values:
        path = write_config(values, args.ads_config)
        if not getattr(args, "json", False):
            print(f"wrote {', '.join(sorted(values))} to {path}")
    settings = settings_from_args(args)
    if getattr(args, "json", False) or not values:
        emit(args, settings.public(), _describe(settings.public()))


def _describe(public: dict) -> str:
    lines = [f"{name}: {public[name]}" for name in CONFIG_KEYS if name in public]
    return "\n".join(lines + [f"config file: {public['config_path']}"])
