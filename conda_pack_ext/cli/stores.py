"""`conda-pack-ext publish`, `unpublish` and `configure` (ADS's flags and config file)."""

from __future__ import annotations

from ..errors import InvalidInput
from ..settings import CONFIG_KEYS, write_config
from .build import CREATE_FLAGS, add_build_flags
from .common import emit, finish_command, operation_params, run_cli_operation, settings_from_args


def register(subparsers) -> None:
    publish = subparsers.add_parser(
        "publish",
        help="publish an environment's pack to the store",
        description="Publish the pack of env SLUG (packing it if needed), or create, pack "
        "and publish an environment file in one go (-f).",
    )
    publish.add_argument("-s", "--slug", help="slug of an environment in the pack folder")
    publish.add_argument("-f", "--environment-file", metavar="ENV.yaml", help="create it first")
    publish.add_argument(
        "-o", "--overwrite", action="store_true", help="replace a pack published with this slug"
    )
    add_build_flags(publish)
    finish_command(publish, run_publish, store=True)

    unpublish = subparsers.add_parser("unpublish", help="remove a published pack from the store")
    unpublish.add_argument("-s", "--slug", required=True, help="slug of the published pack")
    finish_command(unpublish, run_unpublish, store=True)

    configure = subparsers.add_parser(
        "configure",
        help="write defaults into ADS's config.ini",
        description="Write the given settings into ~/.ads_ops/config.ini (ADS's file); "
        "without flags, show the settings in effect.",
    )
    configure.add_argument("--part-size-mb", type=int, metavar="MB", help="upload part size")
    configure.add_argument("--parallelism", type=int, metavar="N", help="parallel transfers")
    finish_command(configure, run_configure, store=True)


PUBLISH_FLAGS = ("slug", *CREATE_FLAGS)


def run_publish(args) -> None:
    params = operation_params(args, PUBLISH_FLAGS)
    if not params.get("slug") and not params.get("environment_file"):
        raise InvalidInput("give -s SLUG (an existing environment) or -f ENV.yaml")
    result = run_cli_operation("publish", params, args)
    summary = {key: result[key] for key in ("slug", "uri", "sha256", "size")}
    if getattr(args, "json", False):
        emit(args, summary, "")
    else:
        print(
            f"published {result['slug']} to {result['uri']}\n"
            f"  {result['size'] / 1e6:.1f} MB, sha256 {result['sha256']}"
        )


def run_unpublish(args) -> None:
    result = run_cli_operation("unpublish", operation_params(args, ("slug",)), args)
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
