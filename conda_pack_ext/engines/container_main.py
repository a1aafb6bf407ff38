"""The container engine's entry point inside the container
(`python -m conda_pack_ext.engines.container_main`): builds the environment with the embedded
engine, or writes the pack, and prints the result as JSON on stdout for the host
(container_engine.py) to read; progress goes to stderr, which the host streams to the log.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..envfile import parse_env_text
from ..errors import PackError
from ..progress import Progress
from .container_run import ENVIRONMENT_VARIABLE


class _StreamProgress(Progress):
    """Progress inside the container: phases and log lines on stderr, which the host
    streams into the job's log; stdout is kept for the JSON result."""

    def phase(self, name: str, total: float | None = None, unit: str = "") -> None:
        super().phase(name, total, unit)
        self.log(f"{name}...")

    def log(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Build the environment given in $CONDA_PACK_EXT_ENVIRONMENT at --prefix with the
    embedded engine; print {"kernel_added", "records"} as JSON on stdout. With --pack-to,
    pack the env at --prefix into that file instead; print {"sha256", "size"}."""
    parser = argparse.ArgumentParser(prog="python -m conda_pack_ext.engines.container_main")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--base-dir", help="folder of the environment file (to build)")
    parser.add_argument("--source", default="", help="the environment file's path, for errors")
    parser.add_argument("--add-kernel", action="store_true")
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--pack-to", help="pack the env at --prefix into this file")
    parser.add_argument("--compress-level", type=int, default=None)
    args = parser.parse_args(argv)
    if args.pack_to:
        return _pack_main(args)
    if not args.base_dir:
        parser.error("--base-dir is required to build")
    from . import rattler_engine

    try:
        env = parse_env_text(
            os.environ.get(ENVIRONMENT_VARIABLE, ""),
            args.base_dir,
            path=Path(args.source) if args.source else None,
        )
        result = rattler_engine.build(
            env,
            Path(args.prefix),
            add_kernel=args.add_kernel,
            gpu=args.gpu,
            progress=_StreamProgress(),
        )
    except PackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    json.dump({"kernel_added": result["kernel_added"], "records": result["records"]}, sys.stdout)
    sys.stdout.write("\n")
    return 0


def _pack_main(args) -> int:
    """Write the pack without the slug's lock: the host that started this container holds it."""
    from .. import pack as packing

    level = packing.DEFAULT_COMPRESS_LEVEL if args.compress_level is None else args.compress_level
    try:
        sha256, size = packing.write_pack_file(
            Path(args.prefix), Path(args.pack_to), compress_level=level, progress=_StreamProgress()
        )
    except PackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    json.dump({"sha256": sha256, "size": size}, sys.stdout)
    sys.stdout.write("\n")
    return 0


def run_and_exit() -> None:
    """Run main() and exit with its status, skipping interpreter teardown: rattler's
    runtime threads can crash it after the work is done and reported, which would turn a
    good build into a failed exit status."""
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run_and_exit()
