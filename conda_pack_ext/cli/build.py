"""`conda-pack-ext create` and `conda-pack-ext pack` (ADS's flags and spellings)."""

from __future__ import annotations

from ..envfile import ADS_CLI_DEFAULT_VERSION
from ..errors import InvalidInput
from ..operations import CREATE_PARAMS
from ..pack import DEFAULT_COMPRESS_LEVEL
from ..settings import ENGINES
from .common import emit, finish_command, operation_params, run_cli_operation


def register(subparsers) -> None:
    create = subparsers.add_parser(
        "create", help="build a conda environment from an environment file into the pack folder"
    )
    create.add_argument(
        "-f",
        "--environment-file",
        metavar="ENV.yaml",
        help="conda environment file (with an optional manifest: section)",
    )
    create.add_argument(
        "--from-lock",
        metavar="SOURCE",
        help="rebuild exactly the packages locked in a lock file, pack, env or oci:// URI",
    )
    create.add_argument("--clone", metavar="SLUG", help="copy an installed env to a new slug")
    create.add_argument(
        "-o", "--overwrite", action="store_true", help="replace an existing env of that slug"
    )
    add_build_flags(create)
    finish_command(create, run_create)

    pack = subparsers.add_parser("pack", help="pack an environment of the pack folder as tar.gz")
    pack.add_argument("-s", "--slug", required=True, help="slug of an env in the pack folder")
    pack.add_argument(
        "--compress-level",
        type=int,
        default=DEFAULT_COMPRESS_LEVEL,
        metavar="N",
        help=f"gzip level 0-9 (default {DEFAULT_COMPRESS_LEVEL}: fast; 4-9 use zlib-ng)",
    )
    pack.add_argument("-o", "--overwrite", action="store_true", help="replace a current pack")
    finish_command(pack, run_pack)


def add_build_flags(parser) -> None:
    """How an environment is built: its name, version and arch, the engine, its kernel,
    and the container engine's image and address (`--engine container`). Shared by
    `create` and `publish -f`."""
    parser.add_argument("-n", "--name", help="environment name (default: manifest.name, name)")
    parser.add_argument(
        "-v",
        "--version",
        help=f"environment version (default: manifest.version, else {ADS_CLI_DEFAULT_VERSION} as in ADS)",
    )
    parser.set_defaults(default_version=ADS_CLI_DEFAULT_VERSION)
    parser.add_argument("-g", "--gpu", action="store_true", help="mark the pack as GPU")
    parser.add_argument(
        "--engine",
        metavar="ENGINE",
        help=f"one of {', '.join(ENGINES)} (default auto: the embedded rattler engine)",
    )
    parser.add_argument("--no-kernel", action="store_true", help="do not add ipykernel")
    parser.add_argument(
        "--image", metavar="IMAGE", help="container image to build in (setting container_image)"
    )
    parser.add_argument(
        "--docker-host",
        metavar="URL",
        help="Docker-API engine address (setting docker_host; default DOCKER_HOST)",
    )


CREATE_FLAGS = tuple(sorted(CREATE_PARAMS))  # operation_params skips those without a flag
PACK_FLAGS = ("slug", "compress_level", "overwrite")


def run_create(args) -> None:
    sources = [args.environment_file, args.from_lock, args.clone]
    if sum(bool(source) for source in sources) != 1:
        raise InvalidInput("give one of -f ENV.yaml, --from-lock SOURCE or --clone SLUG")
    params = operation_params(args, (*CREATE_FLAGS, "from_lock", "clone"))
    result = run_cli_operation("create", params, args)
    emit(
        args,
        {k: result[k] for k in ("slug", "prefix", "manifest", "name", "version")},
        f"created {result['slug']} at {result['prefix']} in {result['seconds']} s\n"
        + (
            f"packed into {result['pack_path']}"
            if result.get("pack_path")
            else f"pack it with: conda-pack-ext pack -s {result['slug']}"
        ),
    )


def run_pack(args) -> None:
    result = run_cli_operation("pack", operation_params(args, PACK_FLAGS), args)
    emit(
        args,
        {k: result[k] for k in ("slug", "pack_path", "sha256", "size")},
        f"packed {result['slug']} into {result['pack_path']} "
        f"({result['size_mb']} MB, sha256 {result['sha256']}) in {result['seconds']} s",
    )
