"""The `conda-pack-ext` command: ADS's verbs and flags over the same core as the REST API.

Each command group lives in its own module with `register(subparsers)`; a command's
handler receives the parsed args and returns a JSON-able result or None.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from .. import __version__
from ..errors import PackError

# modules under conda_pack_ext.cli that add commands; each has register(subparsers)
COMMAND_MODULES = ("status", "build", "install", "stores", "oci_ds", "reproduce")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conda-pack-ext",
        description="Build, pack, publish and install conda packs (compatible with ADS).",
        epilog="Settings come from the flags, else ADS's config.ini (see `configure`), else "
        "defaults. `conda-pack-ext COMMAND --help` lists a command's flags.",
    )
    parser.add_argument("--version", action="version", version=f"conda-pack-ext {__version__}")
    parser.add_argument(
        "--ads-config",
        metavar="DIR",
        help="folder holding ADS's config.ini (default ~/.ads_ops)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args) or 0
    except PackError as error:
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing was left half-done", file=sys.stderr)
        return 130
