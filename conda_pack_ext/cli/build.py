"""`conda-pack-ext create` and `conda-pack-ext pack` (ADS's flags and spellings)."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

from ..operations import run_operation
from ..pack import DEFAULT_COMPRESS_LEVEL
from ..settings import ENGINES
from .common import TerminalProgress, add_json_flag, emit


def register(subparsers) -> None:
    create = subparsers.add_parser(
        "create", help="build a conda environment from an environment file into the pack folder"
    )
    create.add_argument("-f", "--environment-file", required=True, metavar="ENV.yaml")
    create.add_argument("-n", "--name", help="environment name (default: manifest.name, name)")
    create.add_argument("-v", "--version", help="environment version (default 1.0)")
    create.add_argument("-g", "--gpu", action="store_true", help="mark the pack as GPU")
    create.add_argument("--conda-pack-folder", metavar="DIR", help="default ~/conda")
    create.add_argument(
        "-o", "--overwrite", action="store_true", help="replace an existing env of that slug"
    )
    create.add_argument(
        "--engine",
        metavar="ENGINE",
        help=f"one of {', '.join(ENGINES)} (default auto: the embedded rattler engine)",
    )
    create.add_argument("--no-kernel", action="store_true", help="do not add ipykernel")
    add_container_flags(create)
    add_json_flag(create)
    create.set_defaults(handler=run_create)

    pack = subparsers.add_parser("pack", help="pack an environment of the pack folder as tar.gz")
    pack.add_argument("-s", "--slug", required=True)
    pack.add_argument("--conda-pack-folder", metavar="DIR", help="default ~/conda")
    pack.add_argument(
        "--compress-level",
        type=int,
        default=DEFAULT_COMPRESS_LEVEL,
        metavar="N",
        help=f"gzip level 0-9 (default {DEFAULT_COMPRESS_LEVEL}: fast; 4-9 use zlib-ng)",
    )
    pack.add_argument("-o", "--overwrite", action="store_true", help="replace a current pack")
    add_json_flag(pack)
    pack.set_defaults(handler=run_pack)


def add_container_flags(parser) -> None:
    """Flags of the container engine (`--engine container`)."""
    parser.add_argument(
        "--image", metavar="IMAGE", help="container image to build in (setting container_image)"
    )
    parser.add_argument(
        "--docker-host",
        metavar="URL",
        help="Docker-API engine address (setting docker_host; default DOCKER_HOST)",
    )


def run_create(args) -> None:
    params = {
        "environment_file": args.environment_file,
        "name": args.name,
        "version": args.version,
        "gpu": args.gpu,
        "overwrite": args.overwrite,
        "no_kernel": args.no_kernel,
        "conda_pack_folder": args.conda_pack_folder,
        "engine": args.engine,
        "image": args.image,
        "docker_host": args.docker_host,
    }
    result = _run("create", params, args)
    emit(
        args,
        {k: result[k] for k in ("slug", "prefix", "manifest", "name", "version")},
        f"created {result['slug']} at {result['prefix']} in {result['seconds']} s\n"
        f"pack it with: conda-pack-ext pack -s {result['slug']}",
    )


def run_pack(args) -> None:
    params = {
        "slug": args.slug,
        "compress_level": args.compress_level,
        "overwrite": args.overwrite,
        "conda_pack_folder": args.conda_pack_folder,
    }
    result = _run("pack", params, args)
    emit(
        args,
        {k: result[k] for k in ("slug", "pack_path", "sha256", "size")},
        f"packed {result['slug']} into {result['pack_path']} "
        f"({result['size_mb']} MB, sha256 {result['sha256']}) in {result['seconds']} s",
    )


def _run(kind: str, params: dict, args) -> dict:
    # unset flags are left out (0 is a real value: --compress-level 0)
    params = {k: v for k, v in params.items() if v is not None and v is not False}
    progress = TerminalProgress()
    with _cancel_on_interrupt(progress):
        return run_operation(kind, params, progress, ads_config_dir=args.ads_config)


@contextlib.contextmanager
def _cancel_on_interrupt(progress):
    """First Ctrl-C cancels the operation cleanly (it removes what it made); a second one
    interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_interrupt(signum, frame):
        if progress.cancel_event.is_set():
            raise KeyboardInterrupt
        progress.cancel_event.set()
        print("\ncancelling... (Ctrl-C again to stop at once)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
