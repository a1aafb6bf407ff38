"""The `conda-pack-ext` command: ADS's verbs and flags over the same core as the REST API.

Every verb and flag comes from the operations table (operations/table.py); `show.py` says
how each verb shows its answer. A command runs its operation with progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback

from .. import __version__
from ..errors import Cancelled, InvalidInput, PackError
from ..operations import OPERATIONS
from ..operations.spec import add_arguments
from .common import DEBUG_FLAGS, add_ads_flags, add_debug_flag, add_json_flag, run_command


class UsageError(InvalidInput):
    """A command line that does not parse (unknown flag, missing argument)."""

    code = "usage"


class CliParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are raised, so that main() can answer them
    in JSON with --json (argparse itself prints them and exits)."""

    def error(self, message: str):
        raise UsageError(message, self.format_usage().strip())


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
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
    add_debug_flag(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for operation in OPERATIONS.values():
        command = subparsers.add_parser(
            operation.name,
            help=operation.help,
            description=operation.description or None,
        )
        add_arguments(command, operation)
        add_json_flag(command)
        add_ads_flags(command)
        add_debug_flag(command)
        command.set_defaults(handler=run_command, operation=operation)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. A failure is one paragraph on stderr, or with --json one JSON
    object `{"error": {code, message, hint}}` on stdout (as conda's --json does)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # known before parsing, so that a command line that does not parse is answered in JSON
    json_wanted = "--json" in argv
    debug = any(flag in argv for flag in DEBUG_FLAGS)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 2
        return args.handler(args) or 0
    except UsageError as error:
        return fail(error, json_wanted, 2)
    except PackError as error:
        if debug:  # ADS's -d: where the error came from
            traceback.print_exc(file=sys.stderr)
        return fail(error, json_wanted, 1)
    except KeyboardInterrupt:
        return fail(Cancelled("interrupted: nothing was left half-done"), json_wanted, 130)
    except Exception as error:  # a bug: one clear line; the traceback only with --debug
        if debug:
            traceback.print_exc(file=sys.stderr)
        internal = PackError(
            f"internal error ({type(error).__name__})",
            "this is a bug in conda-pack-ext; run again with --debug to see its traceback",
        )
        internal.code = "internal"
        return fail(internal, json_wanted, 1)


def fail(error: PackError, json_wanted: bool, exit_code: int) -> int:
    """Report a failure the way the command line asked for; returns the exit code."""
    if json_wanted:
        json.dump({"error": error.to_dict()}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif isinstance(error, UsageError):
        print(f"{error.hint}\nconda-pack-ext: error: {error.message}", file=sys.stderr)
    else:
        print(f"error: {error}", file=sys.stderr)
    return exit_code
